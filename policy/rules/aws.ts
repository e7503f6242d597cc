import { PROMISES } from "../promises";
import { statefulTypes } from "../stateful-resources";
import type { Element, Rule, RuleContext } from "../types";
import {
  adminPortsIn,
  blocks,
  bool,
  cidrProblems,
  expectBool,
  expectOneOf,
  fail,
  get,
  isUnresolved,
  isWorld,
  list,
  NA,
  PASS,
  policyStatements,
  references,
  show,
  verdict,
} from "../values";
import { forceDestroyProblem, preventDestroyProblem } from "./common";

// Rule pack AWS: S3, EBS, KMS, EKS, VPC and IAM as the AWS provider (TF aws 5.x) synthesizes them.

/** The resources of `type` that reference `bucket` through their `bucket` attribute. */
function forBucket(ctx: RuleContext, type: string, bucket: Element): readonly Element[] {
  return ctx.referencing(type, bucket, "bucket");
}

/** Buckets that receive another bucket's access logs. */
function isLogTarget(ctx: RuleContext, bucket: Element): boolean {
  return ctx.referencing("aws_s3_bucket_logging", bucket, "target_bucket").length > 0;
}

const TLS12_POLICY = /(TLS13-1-[23]|TLS-1-2|FS-1-2)/;

/** Ingress rules of every AWS security-group shape, normalized. */
function ingressRules(e: Element): { cidrs: unknown[]; from: unknown; to: unknown; protocol: unknown }[] {
  const b = e.block;
  switch (e.type) {
    case "aws_security_group":
      return blocks(b.ingress).map((r) => ({
        cidrs: [...list(r.cidr_blocks), ...list(r.ipv6_cidr_blocks)],
        from: r.from_port,
        to: r.to_port,
        protocol: r.protocol,
      }));
    case "aws_security_group_rule":
      if (b.type !== "ingress") return [];
      return [{ cidrs: [...list(b.cidr_blocks), ...list(b.ipv6_cidr_blocks)], from: b.from_port, to: b.to_port, protocol: b.protocol }];
    case "aws_vpc_security_group_ingress_rule":
      return [{ cidrs: [b.cidr_ipv4, b.cidr_ipv6].filter((c) => c !== undefined), from: b.from_port, to: b.to_port, protocol: b.ip_protocol }];
    default:
      return [];
  }
}

/** The AWS rule pack (ids AWS-<n>). */
export const AWS_RULES: readonly Rule[] = [
  {
    id: "AWS-1",
    family: "encryption-at-rest",
    appliesTo: ["aws_s3_bucket"],
    message: "S3 bucket is not encrypted at rest with SSE-S3 (AES256) or a customer-managed KMS key",
    fix: "add an aws_s3_bucket_server_side_encryption_configuration for the bucket with sse_algorithm \"AES256\" (default), or \"aws:kms\" with kms_master_key_id naming the customer's key (encryption.keys: customer-managed)",
    promise: PROMISES.s3Encrypted,
    check: (e, ctx) => {
      const configs = forBucket(ctx, "aws_s3_bucket_server_side_encryption_configuration", e);
      if (!configs.length) return fail("no aws_s3_bucket_server_side_encryption_configuration references this bucket");
      const defaults = configs.flatMap((c) => blocks(c.block.rule).map((r) => get(r, "apply_server_side_encryption_by_default") as Record<string, unknown> | undefined));
      // SSE-S3 as promised, or SSE-KMS under a named key (without one, S3 uses the AWS managed aws/s3 key: neither).
      const ok = defaults.some((x) => x?.sse_algorithm === "AES256" || (x?.sse_algorithm === "aws:kms" && typeof x.kms_master_key_id === "string" && x.kms_master_key_id !== ""));
      return ok ? PASS : fail(`sse_algorithm is ${defaults.map((x) => show(x?.sse_algorithm)).join(", ") || "not set"}${defaults.some((x) => x?.sse_algorithm === "aws:kms") ? " without kms_master_key_id" : ""}`);
    },
  },
  {
    id: "AWS-2",
    family: "public-exposure",
    appliesTo: ["aws_s3_bucket"],
    message: "S3 bucket does not block every kind of public access",
    fix: "add an aws_s3_bucket_public_access_block for the bucket with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all true",
    promise: PROMISES.dataInVpc,
    check: (e, ctx) => {
      const pabs = forBucket(ctx, "aws_s3_bucket_public_access_block", e);
      if (!pabs.length) return fail("no aws_s3_bucket_public_access_block references this bucket");
      const flags = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
      return verdict(flags.map((f) => expectBool(pabs[0].block, f, true)));
    },
  },
  {
    id: "AWS-3",
    family: "in-transit",
    appliesTo: ["aws_s3_bucket"],
    message: "S3 bucket accepts requests over plain HTTP",
    fix: "attach an aws_s3_bucket_policy that denies s3:* when aws:SecureTransport is false (Condition Bool aws:SecureTransport \"false\")",
    promise: PROMISES.inTransit,
    check: (e, ctx) => {
      const policies = forBucket(ctx, "aws_s3_bucket_policy", e);
      if (!policies.length) return fail("no aws_s3_bucket_policy references this bucket");
      for (const p of policies) {
        const statements = policyStatements(p.block.policy, ctx);
        if (statements === "unresolved") return fail(`the bucket policy is not readable at synth (${show(p.block.policy)})`);
        const denies = statements.some(
          (s) =>
            s.effect === "Deny" &&
            s.conditions.some((c) => c.test === "Bool" && c.variable === "aws:SecureTransport" && c.values.includes("false")),
        );
        if (denies) return PASS;
      }
      return fail("no statement denies requests where aws:SecureTransport is false");
    },
  },
  {
    id: "AWS-4",
    family: "data-safety",
    appliesTo: ["aws_s3_bucket"],
    message: "S3 bucket is not versioned (an overwrite or delete loses data)",
    fix: "add an aws_s3_bucket_versioning for the bucket with versioning_configuration { status = \"Enabled\" }",
    promise: PROMISES.dataSafety,
    check: (e, ctx) => {
      const v = forBucket(ctx, "aws_s3_bucket_versioning", e);
      if (!v.length) return fail("no aws_s3_bucket_versioning references this bucket");
      return verdict([expectOneOf(v[0].block, "versioning_configuration.status", ["Enabled"])]);
    },
  },
  {
    id: "AWS-5",
    family: "logging",
    appliesTo: ["aws_s3_bucket"],
    message: "S3 bucket has no server access logging to another bucket",
    fix: "add an aws_s3_bucket_logging for the bucket with a target_bucket (a dedicated log bucket); for the log bucket itself, a separate sink or a suppression with the reason (never itself: a bucket logging to itself logs its own log writes)",
    promise: PROMISES.clusterSecurity,
    check: (e, ctx) => {
      const logging = forBucket(ctx, "aws_s3_bucket_logging", e);
      if (logging.some((l) => references(l.block.target_bucket, e))) return fail("the bucket logs its access to itself");
      if (logging.length) return PASS;
      return fail(isLogTarget(ctx, e) ? "the log bucket's own access is logged nowhere (give it a separate sink, or suppress with the reason)" : "no aws_s3_bucket_logging references this bucket");
    },
  },
  {
    id: "AWS-6",
    family: "public-exposure",
    appliesTo: ["aws_s3_bucket_acl"],
    message: "S3 bucket ACL grants access to everyone or to any AWS user",
    fix: "remove the ACL (use aws_s3_bucket_ownership_controls BucketOwnerEnforced) or use acl \"private\"",
    promise: PROMISES.dataInVpc,
    check: (e) => {
      const acl = e.block.acl;
      if (isUnresolved(acl)) return fail(`acl is not known at synth (${show(acl)})`);
      const problems: string[] = [];
      if (typeof acl === "string" && /public|authenticated-read/.test(acl)) problems.push(`acl is ${show(acl)}`);
      for (const grant of blocks(get(e.block, "access_control_policy.grant"))) {
        const uri = get(grant, "grantee.uri");
        if (typeof uri === "string" && /AllUsers|AuthenticatedUsers/.test(uri)) problems.push(`a grant goes to ${uri}`);
      }
      return verdict(problems);
    },
  },
  {
    id: "AWS-7",
    family: "data-safety",
    appliesTo: statefulTypes("AWS-7"),
    message: "stateful AWS resource can be destroyed by a plan",
    fix: "set lifecycle.preventDestroy (and no force_destroy on buckets), or Policy.allowDestroy(scope) when dataProtection.allowDestroy is true",
    promise: PROMISES.dataSafety,
    guardsDestroy: true,
    check: (e) => verdict([preventDestroyProblem(e), e.type === "aws_s3_bucket" ? forceDestroyProblem(e) : undefined]),
  },
  {
    id: "AWS-8",
    family: "data-safety",
    appliesTo: ["aws_kms_key"],
    message: "KMS key deletion window is shorter than the 30-day maximum",
    fix: "set deletion_window_in_days = 30",
    promise: PROMISES.dataSafety,
    guardsDestroy: true,
    check: (e) => {
      const d = e.block.deletion_window_in_days;
      if (d === undefined) return fail("deletion_window_in_days is not set");
      if (isUnresolved(d)) return fail(`deletion_window_in_days is not known at synth (${show(d)})`);
      return Number(d) >= 30 ? PASS : fail(`deletion_window_in_days is ${show(d)}`);
    },
  },
  {
    id: "AWS-9",
    family: "encryption-at-rest",
    appliesTo: ["aws_kms_key"],
    message: "KMS key material is never rotated",
    fix: "set enable_key_rotation = true",
    promise: PROMISES.vaultKeys,
    check: (e) => {
      // Rotation only exists for symmetric encryption keys.
      const spec = e.block.customer_master_key_spec;
      if (typeof spec === "string" && spec !== "SYMMETRIC_DEFAULT") return NA;
      return verdict([expectBool(e.block, "enable_key_rotation", true)]);
    },
  },
  {
    id: "AWS-10",
    family: "encryption-at-rest",
    appliesTo: ["aws_eks_cluster", "aws_ebs_encryption_by_default"],
    message: "EBS encryption by default is not enabled in the account and region",
    fix: "add aws_ebs_encryption_by_default { enabled = true } to the stack that creates the cluster",
    promise: PROMISES.volumesEncrypted,
    check: (e, ctx) => {
      if (e.type === "aws_ebs_encryption_by_default") return verdict([expectBool(e.block, "enabled", true)]);
      const on = ctx.resources("aws_ebs_encryption_by_default").some((d) => bool(d.block.enabled) === true);
      return on ? PASS : fail("no aws_ebs_encryption_by_default with enabled = true in this stack");
    },
  },
  {
    id: "AWS-11",
    family: "encryption-at-rest",
    appliesTo: ["aws_ebs_volume"],
    message: "EBS volume is not encrypted",
    fix: "set encrypted = true",
    promise: PROMISES.volumesEncrypted,
    check: (e) => verdict([expectBool(e.block, "encrypted", true)]),
  },
  {
    id: "AWS-12",
    family: "nodes",
    appliesTo: ["aws_launch_template", "aws_instance"],
    message: "node boot or data disk is not encrypted",
    fix: "set encrypted = \"true\" on every block_device_mappings.ebs (launch template) or root_block_device/ebs_block_device (instance)",
    promise: PROMISES.volumesEncrypted,
    check: (e) => {
      if (e.type === "aws_instance") {
        const disks = [...blocks(e.block.root_block_device), ...blocks(e.block.ebs_block_device)];
        if (!blocks(e.block.root_block_device).length) return fail("root_block_device is not set (encrypted must be written explicitly)");
        return verdict(disks.map((d, i) => (bool(d.encrypted) === true ? undefined : `disk ${i} is not encrypted (${show(d.encrypted)})`)));
      }
      const mappings = blocks(e.block.block_device_mappings);
      if (!mappings.length) return fail("no block_device_mappings: the AMI's root volume setting decides encryption; set ebs.encrypted = \"true\"");
      return verdict(
        mappings.map((m) =>
          bool(get(m, "ebs.encrypted")) === true ? undefined : `${show(m.device_name)} ebs.encrypted is ${show(get(m, "ebs.encrypted"))}`,
        ),
      );
    },
  },
  {
    id: "AWS-13",
    family: "nodes",
    appliesTo: ["aws_launch_template", "aws_instance"],
    message: "instance metadata service allows IMDSv1 (no session token)",
    fix: "set metadata_options { http_tokens = \"required\" }",
    promise: PROMISES.clusterSecurity,
    check: (e) => verdict([expectOneOf(e.block, "metadata_options.http_tokens", ["required"])]),
  },
  {
    id: "AWS-14",
    family: "nodes",
    appliesTo: ["aws_launch_template"],
    message: "pods can reach the node's instance metadata (and its IAM role)",
    fix: "set metadata_options { http_put_response_hop_limit = 1 }; pods get AWS access through IRSA only",
    promise: PROMISES.clusterSecurity,
    check: (e) => {
      const hop = get(e.block, "metadata_options.http_put_response_hop_limit");
      if (hop === undefined) return fail("metadata_options.http_put_response_hop_limit is not set (must be 1)");
      if (isUnresolved(hop)) return fail(`http_put_response_hop_limit is not known at synth (${show(hop)})`);
      return Number(hop) <= 1 ? PASS : fail(`http_put_response_hop_limit is ${show(hop)}`);
    },
  },
  {
    id: "AWS-15",
    family: "nodes",
    appliesTo: ["aws_launch_template", "aws_instance", "aws_eks_node_group"],
    message: "nodes accept an SSH key",
    fix: "remove key_name / remote_access; reach nodes with SSM Session Manager if ever needed",
    promise: PROMISES.nodesAcl,
    check: (e) => {
      if (e.type === "aws_eks_node_group") return blocks(e.block.remote_access).length ? fail("remote_access is set") : PASS;
      return e.block.key_name !== undefined ? fail(`key_name is ${show(e.block.key_name)}`) : PASS;
    },
  },
  {
    id: "AWS-16",
    family: "public-exposure",
    appliesTo: ["aws_launch_template", "aws_instance"],
    message: "nodes get a public IP address",
    fix: "set associate_public_ip_address = false and run nodes in private subnets",
    promise: PROMISES.nodesAcl,
    check: (e) => {
      const values = e.type === "aws_instance" ? [e.block.associate_public_ip_address] : blocks(e.block.network_interfaces).map((n) => n.associate_public_ip_address);
      return verdict(values.map((v) => (bool(v) === true || bool(v) === "unresolved" ? `associate_public_ip_address is ${show(v)}` : undefined)));
    },
  },
  {
    id: "AWS-17",
    family: "public-exposure",
    appliesTo: ["aws_subnet"],
    message: "subnet gives every instance launched in it a public IP",
    fix: "set map_public_ip_on_launch = false (load balancers do not need it)",
    promise: PROMISES.nodesAcl,
    check: (e) => {
      const v = bool(e.block.map_public_ip_on_launch);
      return v === true || v === "unresolved" ? fail(`map_public_ip_on_launch is ${show(e.block.map_public_ip_on_launch)}`) : PASS;
    },
  },
  {
    id: "AWS-18",
    family: "public-exposure",
    appliesTo: ["aws_eks_cluster"],
    message: "EKS cluster has no private API endpoint",
    fix: "set vpc_config { endpoint_private_access = true }",
    promise: PROMISES.controlPlane,
    check: (e) => verdict([expectBool(e.block, "vpc_config.endpoint_private_access", true)]),
  },
  {
    id: "AWS-19",
    family: "public-exposure",
    appliesTo: ["aws_eks_cluster"],
    message: "EKS public API endpoint is open beyond the admin CIDRs",
    fix: "set vpc_config { endpoint_public_access = false }, or true with public_access_cidrs listing only the admin ranges (never 0.0.0.0/0)",
    promise: PROMISES.controlPlane,
    check: (e) => {
      const pub = bool(get(e.block, "vpc_config.endpoint_public_access"));
      if (pub === false) return PASS;
      if (pub === undefined) return fail("vpc_config.endpoint_public_access is not set (AWS defaults it to true)");
      if (pub === "unresolved") return fail("vpc_config.endpoint_public_access is not known at synth");
      const cidrs = get(e.block, "vpc_config.public_access_cidrs");
      if (!list(cidrs).length) return fail("the public endpoint is on and public_access_cidrs is empty (AWS defaults it to 0.0.0.0/0)");
      return verdict(cidrProblems("public_access_cidrs", cidrs));
    },
  },
  {
    id: "AWS-20",
    family: "encryption-at-rest",
    appliesTo: ["aws_eks_cluster"],
    message: "EKS does not envelope-encrypt Kubernetes secrets in etcd with KMS",
    fix: "set encryption_config { resources = [\"secrets\"], provider { key_arn = <KMS key ARN> } }",
    promise: PROMISES.clusterSecurity,
    check: (e) => {
      const cfg = blocks(e.block.encryption_config)[0];
      if (!cfg) return fail("encryption_config is not set");
      return verdict([
        list(cfg.resources).includes("secrets") ? undefined : "encryption_config.resources does not include \"secrets\"",
        get(cfg, "provider.key_arn") ? undefined : "encryption_config.provider.key_arn is not set",
      ]);
    },
  },
  {
    id: "AWS-21",
    family: "logging",
    appliesTo: ["aws_eks_cluster"],
    message: "EKS control-plane logs (api, audit, authenticator) are not all enabled",
    fix: "set enabled_cluster_log_types = [\"api\", \"audit\", \"authenticator\", \"controllerManager\", \"scheduler\"]",
    promise: PROMISES.clusterSecurity,
    check: (e) => {
      const types = list(e.block.enabled_cluster_log_types);
      if (isUnresolved(e.block.enabled_cluster_log_types)) return fail("enabled_cluster_log_types is not known at synth");
      const missing = ["api", "audit", "authenticator"].filter((t) => !types.includes(t));
      return missing.length ? fail(`missing ${missing.join(", ")}`) : PASS;
    },
  },
  {
    id: "AWS-22",
    family: "identity",
    appliesTo: ["aws_eks_cluster"],
    message: "EKS authorizes through the aws-auth ConfigMap instead of access entries only",
    fix: "set access_config { authentication_mode = \"API\" } and grant admins with aws_eks_access_entry",
    promise: PROMISES.clusterSecurity,
    check: (e) => verdict([expectOneOf(e.block, "access_config.authentication_mode", ["API"])]),
  },
  {
    id: "AWS-23",
    family: "identity",
    appliesTo: ["aws_eks_cluster"],
    message: "EKS cluster has no workload identity (IRSA OIDC provider or EKS Pod Identity)",
    fix: "add an aws_iam_openid_connect_provider whose url is the cluster's identity[0].oidc[0].issuer (or aws_eks_pod_identity_association)",
    promise: PROMISES.credentialsInVpc,
    check: (e, ctx) => {
      const oidc = ctx.referencing("aws_iam_openid_connect_provider", e, "url").length > 0;
      const podIdentity = ctx.resources("aws_eks_pod_identity_association").length > 0;
      return oidc || podIdentity ? PASS : fail("no aws_iam_openid_connect_provider references the cluster's OIDC issuer");
    },
  },
  {
    id: "AWS-24",
    family: "logging",
    appliesTo: ["aws_vpc"],
    message: "VPC has no flow log",
    fix: "add an aws_flow_log with vpc_id = the VPC's id and traffic_type = \"ALL\"",
    promise: PROMISES.networkSecurity,
    check: (e, ctx) => (ctx.referencing("aws_flow_log", e, "vpc_id").length ? PASS : fail("no aws_flow_log references this VPC")),
  },
  {
    id: "AWS-25",
    family: "public-exposure",
    appliesTo: ["aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule"],
    message: "security group opens an administrative or data port to the internet",
    fix: "restrict the source to the admin CIDRs or to security groups (source_security_group_id / referenced_security_group_id)",
    promise: PROMISES.nodesAcl,
    check: (e) => {
      const problems: string[] = [];
      for (const r of ingressRules(e)) {
        const unknown = r.cidrs.filter(isUnresolved);
        if (unknown.length) problems.push(`a source CIDR is not known at synth (${show(unknown[0])})`);
        if (!r.cidrs.some(isWorld)) continue;
        const all = r.protocol === "-1" || r.protocol === -1 || r.protocol === "all";
        if (all) {
          problems.push("all traffic is allowed from the internet");
          continue;
        }
        if (isUnresolved(r.from) || isUnresolved(r.to)) {
          problems.push("a port range open to the internet is not known at synth");
          continue;
        }
        const ports = adminPortsIn({ from: Number(r.from ?? 0), to: Number(r.to ?? 65535) });
        if (ports.length) problems.push(`ports ${r.from}-${r.to} from the internet include ${ports.join(", ")}`);
      }
      return verdict(problems);
    },
  },
  {
    id: "AWS-26",
    family: "in-transit",
    appliesTo: ["aws_lb_listener"],
    message: "load balancer listener serves plain HTTP or TLS older than 1.2",
    fix: "use protocol HTTPS/TLS with ssl_policy ELBSecurityPolicy-TLS13-1-2-2021-06, or make the HTTP listener only redirect to HTTPS",
    promise: PROMISES.inTransit,
    check: (e) => {
      const protocol = e.block.protocol;
      if (protocol === "HTTPS" || protocol === "TLS") {
        const policy = e.block.ssl_policy;
        if (typeof policy !== "string" || isUnresolved(policy)) return fail(`ssl_policy is ${show(policy)} (must name a TLS 1.2+ policy)`);
        return TLS12_POLICY.test(policy) ? PASS : fail(`ssl_policy ${policy} allows TLS older than 1.2`);
      }
      if (protocol === "HTTP") {
        const redirects = blocks(e.block.default_action).every((a) => a.type === "redirect" && get(a, "redirect.protocol") === "HTTPS");
        return redirects && blocks(e.block.default_action).length ? PASS : fail("the HTTP listener does not only redirect to HTTPS");
      }
      return fail(`protocol is ${show(protocol)} (must be HTTPS, TLS, or an HTTP redirect)`);
    },
  },
  {
    id: "AWS-27",
    family: "identity",
    appliesTo: ["aws_iam_policy", "aws_iam_role_policy"],
    message: "IAM policy grants KMS (or everything) beyond least privilege",
    fix: "allow only the KMS actions needed (e.g. kms:Encrypt, kms:Decrypt, kms:DescribeKey) on the key's ARN, never \"*\" or kms:*",
    promise: PROMISES.vaultKeys,
    check: (e, ctx) => {
      const statements = policyStatements(e.block.policy, ctx);
      if (statements === "unresolved") return fail(`the policy document is not readable at synth (${show(e.block.policy)})`);
      const problems: string[] = [];
      for (const s of statements) {
        if (s.effect !== "Allow") continue;
        if (s.actions.some((a) => a === "*" || a === "kms:*")) problems.push(`allows ${s.actions.filter((a) => a === "*" || a === "kms:*").join(", ")}`);
        else if (s.notActions.length) problems.push("uses NotAction in an Allow statement");
        else if (s.actions.some((a) => a.toLowerCase().startsWith("kms:")) && s.resources.includes("*")) problems.push("allows KMS actions on Resource \"*\"");
      }
      return verdict(problems);
    },
  },
  {
    id: "AWS-28",
    family: "identity",
    appliesTo: ["aws_iam_role"],
    message: "web-identity (IRSA) role can be assumed by any service account of the cluster",
    fix: "add a StringEquals condition on <issuer>:sub = system:serviceaccount:<namespace>:<name> (and :aud = sts.amazonaws.com)",
    promise: PROMISES.credentialsInVpc,
    check: (e, ctx) => {
      const statements = policyStatements(e.block.assume_role_policy, ctx);
      if (statements === "unresolved") return fail(`assume_role_policy is not readable at synth (${show(e.block.assume_role_policy)})`);
      const web = statements.filter((s) => s.effect === "Allow" && s.actions.includes("sts:AssumeRoleWithWebIdentity"));
      if (!web.length) return NA;
      return verdict(
        web.map((s) =>
          s.conditions.some((c) => c.test === "StringEquals" && c.variable.endsWith(":sub") && c.values.length > 0 && !c.values.some((v) => v.includes("*")))
            ? undefined
            : "a web-identity statement has no StringEquals condition on :sub naming one service account",
        ),
      );
    },
  },
  {
    id: "AWS-29",
    family: "identity",
    appliesTo: ["aws_iam_access_key", "aws_iam_user_login_profile"],
    message: "static IAM user credentials are created",
    fix: "use IAM roles (IRSA for pods, SSO/roles for people); never IAM access keys or console passwords",
    promise: PROMISES.credentialsInVpc,
    check: (e) => fail(`${e.type} creates a long-lived credential`),
  },
  {
    id: "AWS-30",
    family: "logging",
    appliesTo: ["aws_cloudwatch_log_group"],
    message: "log group keeps logs for less than 90 days",
    fix: "set retention_in_days to 90 or more (365 recommended)",
    promise: PROMISES.clusterSecurity,
    check: (e) => {
      const days = e.block.retention_in_days;
      if (days === undefined) return fail("retention_in_days is not set");
      if (isUnresolved(days)) return fail(`retention_in_days is not known at synth (${show(days)})`);
      const n = Number(days);
      return n === 0 || n >= 90 ? PASS : fail(`retention_in_days is ${n}`);
    },
  },
];
