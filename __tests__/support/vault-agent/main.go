// Vault Agent's template engine for the tests: Go's own text/template (standard library only), with the
// function names consul-template registers and the values its Vault functions return, in front of a
// model of the Vault the vault-config stack configures.
//
// What it stands for, and where each behaviour comes from (read from upstream, not copied):
//   - The template engine: consul-template v0.39.1 (the library Vault Agent 1.18 renders with),
//     template/template.go: text/template with funcMap(), option missingkey=error when the template sets
//     error_on_missing_key, and every Sprig v3.2.3 function under the prefix "sprig_"
//     (Masterminds/sprig functions.go genericMap). The set of names is the same in v0.39.1 .. v0.42.1.
//   - The values: `secret` returns *dependency.Secret (dependency/vault_common.go: RequestID, LeaseID,
//     LeaseDuration, Renewable, Data, Warnings, Auth, WrapInfo); `pkiCert` returns
//     dependency.PemEncoded (dependency/vault_pki.go: Cert, Key, CA, CAChain, and a Data() method).
//   - pkiCert reads the template's DESTINATION first and reuses a certificate found there while it is
//     within ~90% of its lifetime; only what the file holds comes back (vault_pki.go Fetch, pemsCert,
//     goodFor; docs/templating-language.md "pkiCert"). A fresh issue concatenates every string field of
//     Vault's response and sorts the PEM blocks the same way (fetchPEMs).
//   - writeToFile(path, user, group, perms, [flags,] content) and env (the agent's own environment),
//     template/funcs.go writeToFile: a non-append write is os.Create(path) (O_RDWR|O_CREATE|O_TRUNC on
//     the existing file) and only then os.Chmod(path, perm), so a file its owner made read-only cannot
//     be written again by that (non-root) owner: EACCES.
//   - The template's own destination: renderer/renderer.go Render (read the existing file; unchanged
//     contents are not written) and AtomicWrite (os.CreateTemp in the destination's directory, write,
//     sync, close, keep the existing file's owner, chmod the temporary file to the template's perms
//     (0 = the existing file's mode, else renderer.DefaultFilePerms 0644), rename over the destination):
//     only the directory's write permission matters for a rewrite, not the old file's mode.
//   - Rendering in passes (manager/runner.go Run/runTemplate, template/template.go Execute, the
//     secretFunc/pkiCertFunc of template/funcs.go): a function whose data is not yet in the runner's
//     brain returns nil and marks its dependency missing; the runner fetches it and executes the
//     template again, so a `with` block runs once per pass its data is there (writeToFile included),
//     and the destination is written only once nothing is missing. The brain is shared by the templates
//     of one agent run; a dependency is fetched once.
//   - A template's `exec` (consul-template v0.39.1 manager/runner.go Run and runTemplate): its command is
//     collected only when the template's destination was actually written (DidRender: the contents
//     changed), once per distinct command, and run after every template of the pass, in order, as a child
//     of the agent (child/child.go: exec.Command, no credential of its own, so the agent's uid/gid);
//     with a timeout (Vault Agent's default 30s, config/template.go DefaultTemplateCommandTimeout) the
//     runner waits for it and a non-zero exit is an error of the run. child/command-prep.go CommandPrep:
//     one string with spaces runs under `sh -c`, a list runs as given. The image's programs are the
//     Alpine busybox applets (hashicorp/vault Dockerfile `FROM alpine:3`; openbao/openbao Dockerfile
//     `FROM alpine`): the test gives a directory of busybox applets (input.commandPath) for /bin and
//     /usr/bin, and nothing else is on the command's PATH.
//   - Observation (input.observe): after every step that changes what a reader of the destinations'
//     directories sees (writeToFile's create, write and chmod; AtomicWrite's rename; each program a
//     template command runs, through the applet directory's wrappers), the harness records what a reader
//     that opens each file by its name (following symlinks, as servers do) would read at that moment.
//   - The tests run this binary as the pod's own uid/gid (__tests__/support/vault-agent.ts), so file
//     permission bits are enforced as in the pod.
//   - Vault's PKI: hashicorp/vault builtin/logical/pki/issuing/issue_common.go (GenerateCreationBundle,
//     ValidateNames, ValidateCommonName, GetCertificateNotAfter, ApplyIssuerLeafNotAfterBehavior) and
//     path_issue_sign.go (response fields; private_key_format=pkcs8 converts the key, otherwise EC keys
//     are SEC1 "EC PRIVATE KEY" and RSA keys PKCS#1 "RSA PRIVATE KEY", sdk/helper/certutil).
//   - `cert/ca_chain`: path_fetch.go pathFetchRead: `certificate` and `ca_chain` hold the issuer's full
//     chain, PEM blocks joined by "\n", no trailing newline.
//   - Database credentials: plugins/database/postgresql/postgresql.go defaultUserNameTemplate
//     `v-<display name|8>-<role|8>-<random 20>-<unix time>` truncated to 63.
//   - ACL: a request is allowed only when the pod's policy grants the capability on the path
//     (read for reads, update or create for writes), vault/policy.go path matching (exact, `*` suffix,
//     `+` segment).
//
// Input (JSON on stdin): see type input. Output (JSON on stdout): see type output. Files land under
// input.Root + their absolute path in the pod.
package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// ---------------------------------------------------------------------------------------------------
// Input and output

type input struct {
	// Only make the CA pair in vault.pki.caDir (when missing) and exit: Vault's side, run by the test's own user.
	MakeCA bool `json:"makeCA"`
	// Root directory the pod's absolute paths are placed under.
	Root string `json:"root"`
	// The agent container's environment (downward API values resolved by the test).
	Env map[string]string `json:"env"`
	// Seconds added to the clock (renewal tests).
	ClockSkewSeconds int64      `json:"clockSkewSeconds"`
	Templates        []tmplSpec `json:"templates"`
	Vault            vaultModel `json:"vault"`
	// Directory of the programs a template command finds (busybox applets standing for the image's /bin).
	CommandPath string `json:"commandPath"`
	// Record what a reader sees after every step (see observe).
	Observe bool `json:"observe"`
}

type tmplSpec struct {
	Destination       string    `json:"destination"`
	Contents          string    `json:"contents"`
	Perms             string    `json:"perms"`
	ErrorOnMissingKey bool      `json:"error_on_missing_key"`
	LeftDelimiter     string    `json:"left_delimiter"`
	RightDelimiter    string    `json:"right_delimiter"`
	Exec              *execSpec `json:"exec"`
}

// execSpec is a template's `exec` stanza (consul-template config/exec.go: command, timeout).
type execSpec struct {
	Command []string `json:"command"`
	Timeout string   `json:"timeout"`
}

type policyRule struct {
	Path         string   `json:"path"`
	Capabilities []string `json:"capabilities"`
}

type vaultModel struct {
	// The rules of every policy the pod's token carries.
	Policy []policyRule `json:"policy"`
	// KV v2 mounts by path ("kv").
	KVMounts []string `json:"kvMounts"`
	// Secrets by logical path "<mount>/<path>" -> fields.
	KV map[string]map[string]string `json:"kv"`
	// Database secrets engine.
	Database struct {
		Mount string            `json:"mount"`
		Roles map[string]dbRole `json:"roles"`
		// Display name of the token (Kubernetes auth: "kubernetes-<namespace>-<service account>").
		DisplayName string `json:"displayName"`
	} `json:"database"`
	PKI pkiModel `json:"pki"`
}

type dbRole struct {
	DefaultTTL int `json:"default_ttl"`
	MaxTTL     int `json:"max_ttl"`
}

type pkiModel struct {
	Mount string `json:"mount"`
	CADir string `json:"caDir"`
	// The CA pair's PEM files, read by the test from caDir (the agent's uid cannot read Vault's key).
	CA           *caFiles           `json:"ca"`
	Root         caSpec             `json:"root"`
	Intermediate caSpec             `json:"intermediate"`
	Roles        map[string]pkiRole `json:"roles"`
}

type caFiles struct {
	Root            string `json:"root"`
	Intermediate    string `json:"intermediate"`
	IntermediateKey string `json:"intermediateKey"`
}

type caSpec struct {
	CommonName string `json:"common_name"`
	KeyType    string `json:"key_type"`
	KeyBits    int    `json:"key_bits"`
	TTL        string `json:"ttl"`
}

// The role's settings, as the vault-config stack synthesizes them (vault_pki_secret_backend_role).
type pkiRole struct {
	AllowedDomains            []string `json:"allowed_domains"`
	AllowBareDomains          bool     `json:"allow_bare_domains"`
	AllowSubdomains           bool     `json:"allow_subdomains"`
	AllowGlobDomains          bool     `json:"allow_glob_domains"`
	AllowWildcardCertificates *bool    `json:"allow_wildcard_certificates"`
	AllowAnyName              bool     `json:"allow_any_name"`
	AllowLocalhost            bool     `json:"allow_localhost"`
	AllowIPSANs               bool     `json:"allow_ip_sans"`
	EnforceHostnames          bool     `json:"enforce_hostnames"`
	ServerFlag                bool     `json:"server_flag"`
	ClientFlag                bool     `json:"client_flag"`
	CodeSigningFlag           bool     `json:"code_signing_flag"`
	EmailProtectionFlag       bool     `json:"email_protection_flag"`
	KeyType                   string   `json:"key_type"`
	KeyBits                   int      `json:"key_bits"`
	KeyUsage                  []string `json:"key_usage"`
	TTL                       string   `json:"ttl"`
	MaxTTL                    string   `json:"max_ttl"`
	RequireCN                 bool     `json:"require_cn"`
	CNValidations             []string `json:"cn_validations"`
	NotBeforeDuration         string   `json:"not_before_duration"`
}

type output struct {
	Templates []renderResult `json:"templates"`
	// What a reader of the destinations' directories saw after each step (input.observe).
	Observations []observation `json:"observations"`
	Issued       []issued      `json:"issued"`
	Leases       []lease       `json:"leases"`
	Requests     []request     `json:"requests"`
}

// observation: the files of the observed directories, by pod path, as a reader opening them by name reads
// them (nil: absent or unreadable), after one step.
type observation struct {
	Step  string             `json:"step"`
	Files map[string]*string `json:"files"`
}

type renderResult struct {
	Destination string   `json:"destination"`
	OK          bool     `json:"ok"`
	Error       string   `json:"error,omitempty"`
	Files       []string `json:"files"`
}

type issued struct {
	Role       string   `json:"role"`
	CommonName string   `json:"commonName"`
	DNSNames   []string `json:"dnsNames"`
	Serial     string   `json:"serial"`
	NotAfter   string   `json:"notAfter"`
	KeyPEMType string   `json:"keyPemType"`
	ExtKeyUses []string `json:"extKeyUsage"`
	Warnings   []string `json:"warnings"`
}

type lease struct {
	Path          string `json:"path"`
	Role          string `json:"role"`
	LeaseID       string `json:"leaseId"`
	LeaseDuration int    `json:"leaseDuration"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	Expiration    string `json:"expiration"`
}

type request struct {
	Function string            `json:"function"`
	Path     string            `json:"path"`
	Data     map[string]string `json:"data,omitempty"`
	Cached   bool              `json:"cached,omitempty"`
}

// ---------------------------------------------------------------------------------------------------
// The values consul-template's Vault functions return (dependency/vault_common.go, vault_pki.go)

// Secret mirrors dependency.Secret.
type Secret struct {
	RequestID     string
	LeaseID       string
	LeaseDuration int
	Renewable     bool
	Data          map[string]interface{}
	Warnings      []string
	Auth          *SecretAuth
	WrapInfo      *SecretWrapInfo
}

// SecretAuth mirrors dependency.SecretAuth.
type SecretAuth struct {
	ClientToken   string
	Accessor      string
	Policies      []string
	Metadata      map[string]string
	LeaseDuration int
	Renewable     bool
}

// SecretWrapInfo mirrors dependency.SecretWrapInfo.
type SecretWrapInfo struct {
	Token           string
	TTL             int
	CreationTime    time.Time
	WrappedAccessor string
}

// PemEncoded mirrors dependency.PemEncoded.
type PemEncoded struct {
	Cert, Key, CA string
	CAChain       []string
}

// Data mirrors PemEncoded.Data ("a wrapper to mimic v2 secrets Data wrapper").
func (a PemEncoded) Data() PemEncoded { return a }

// ---------------------------------------------------------------------------------------------------
// Harness state

type harness struct {
	in       input
	out      *output
	now      time.Time
	later    time.Time
	ca       *caPair
	written  []string
	rendered map[string]bool
	// Directories a reader is observed in (the templates' destinations' directories).
	observed []string
	// The runner's brain: fetched dependency values by dependency name; missing: asked for in this pass.
	brain   map[string]interface{}
	missing []*dependency
}

type dependency struct {
	name  string
	fetch func() (interface{}, error)
}

type caPair struct {
	rootCert, interCert *x509.Certificate
	rootPEM, interPEM   string
	interKey            crypto.Signer
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "observe" {
		observeFromCommand(os.Args[2:])
		return
	}
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("reading the input: %v", err)
	}
	if in.MakeCA {
		if in.Vault.PKI.CADir == "" {
			fail("makeCA: no vault.pki.caDir")
		}
		if _, err := os.Stat(filepath.Join(in.Vault.PKI.CADir, "intermediate.key")); err == nil {
			return
		}
		if err := makeCA(in.Vault.PKI); err != nil {
			fail("makeCA: %v", err)
		}
		return
	}
	h := &harness{in: in, out: &output{Issued: []issued{}, Leases: []lease{}, Requests: []request{}, Observations: []observation{}}, now: time.Now(), later: time.Now().Add(time.Duration(in.ClockSkewSeconds) * time.Second), brain: map[string]interface{}{}}
	for _, t := range in.Templates {
		dir := filepath.Dir(t.Destination)
		if !contains(h.observed, dir) {
			h.observed = append(h.observed, dir)
		}
	}
	h.observe("start")
	// The commands of the templates whose destination was written, in template order, each once.
	type pending struct {
		index int
		exec  *execSpec
	}
	var commands []pending
	for i, t := range in.Templates {
		h.written = []string{}
		didRender, err := h.render(t)
		r := renderResult{Destination: t.Destination, OK: err == nil, Files: h.written}
		if err != nil {
			r.Error = err.Error()
		}
		h.out.Templates = append(h.out.Templates, r)
		if err == nil && didRender && t.Exec != nil && len(t.Exec.Command) > 0 {
			dup := false
			for _, c := range commands {
				dup = dup || strings.Join(c.exec.Command, "\x00") == strings.Join(t.Exec.Command, "\x00")
			}
			if !dup {
				commands = append(commands, pending{i, t.Exec})
			}
		}
	}
	for _, c := range commands {
		files, err := h.runCommand(c.exec)
		r := &h.out.Templates[c.index]
		for _, f := range files {
			if !contains(r.Files, f) {
				r.Files = append(r.Files, f)
			}
		}
		if err != nil {
			r.OK = false
			r.Error = fmt.Sprintf("failed to execute command %q from %s: %v", c.exec.Command, r.Destination, err)
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(h.out); err != nil {
		fail("writing the output: %v", err)
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "vault-agent harness: "+format+"\n", args...)
	os.Exit(2)
}

func (h *harness) local(p string) string {
	if !filepath.IsAbs(p) {
		return filepath.Join(h.in.Root, p)
	}
	return filepath.Join(h.in.Root, filepath.Clean(p))
}

// render parses and executes one template as consul-template does, in passes until no dependency is
// missing (manager/runner.go runTemplate), then writes its destination (renderer/renderer.go Render).
func (h *harness) render(t tmplSpec) (bool, error) {
	left, right := t.LeftDelimiter, t.RightDelimiter
	if left == "" {
		left = "{{"
	}
	if right == "" {
		right = "}}"
	}
	var out []byte
	for pass := 1; ; pass++ {
		h.missing = nil
		tmpl := template.New(t.Destination).Delims(left, right).Funcs(h.funcMap(t.Destination))
		if t.ErrorOnMissingKey {
			tmpl = tmpl.Option("missingkey=error")
		} else {
			tmpl = tmpl.Option("missingkey=zero")
		}
		parsed, err := tmpl.Parse(t.Contents)
		if err != nil {
			return false, fmt.Errorf("parse: %w", err)
		}
		var buf bytes.Buffer
		if err := parsed.Execute(&buf, nil); err != nil {
			return false, fmt.Errorf("execute: %w", err)
		}
		if len(h.missing) == 0 {
			out = buf.Bytes()
			break
		}
		if pass > 32 {
			return false, errors.New("dependencies still missing after 32 passes")
		}
		// The watcher fetches what the pass asked for; a fetch that fails is fatal here (the agent retries,
		// then exits: template_config.exit_on_retry_failure).
		for _, d := range h.missing {
			v, err := d.fetch()
			if err != nil {
				return false, err
			}
			h.brain[d.name] = v
		}
	}
	// Vault Agent's `perms` (config/template.go Perms, default FileMode(0)): 0 keeps the existing mode.
	var perms os.FileMode
	if t.Perms != "" {
		p, err := strconv.ParseUint(t.Perms, 8, 32)
		if err != nil {
			return false, fmt.Errorf("perms %q: %w", t.Perms, err)
		}
		perms = os.FileMode(p)
	}
	return h.renderDestination(t.Destination, out, perms)
}

// renderDestination mirrors renderer.Render with no user/group (uid = gid = -1: no chown), no backup,
// CreateDestDirs true (config/template.go Finalize), then AtomicWrite.
// It says whether the file was written (renderer.RenderResult DidRender).
func (h *harness) renderDestination(podPath string, contents []byte, perms os.FileMode) (bool, error) {
	path := h.local(podPath)
	existing, err := os.ReadFile(path)
	fileExists := !os.IsNotExist(err)
	if err != nil && fileExists {
		return false, fmt.Errorf("failed reading file: %w", err)
	}
	didRender := false
	if !(fileExists && bytes.Equal(existing, contents)) {
		if err := atomicWrite(path, contents, perms); err != nil {
			return false, fmt.Errorf("failed writing file: %w", err)
		}
		h.observe("AtomicWrite rename " + podPath)
		didRender = true
	}
	h.wrote(podPath)
	return didRender, nil
}

// atomicWrite mirrors renderer.AtomicWrite (createDestDirs true, backup false).
func atomicWrite(path string, contents []byte, perms os.FileMode) error {
	parent := filepath.Dir(path)
	if _, err := os.Stat(parent); os.IsNotExist(err) {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return err
		}
	}
	f, err := os.CreateTemp(parent, "")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(contents); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	var existingPerms os.FileMode = 0o644 // renderer.DefaultFilePerms
	currentInfo, err := os.Stat(path)
	if err != nil {
		if !os.IsNotExist(err) {
			return err
		}
	} else {
		existingPerms = currentInfo.Mode()
		// preserveFilePermissions (renderer/file_perms.go): chown to the existing owner; a failure is only logged.
		if st, ok := currentInfo.Sys().(*syscall.Stat_t); ok {
			_ = os.Chown(f.Name(), int(st.Uid), int(st.Gid))
		}
	}
	if perms == 0 {
		perms = existingPerms
	}
	if err := os.Chmod(f.Name(), perms); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// observe records what a reader of the observed directories reads now (input.observe).
func (h *harness) observe(step string) {
	if !h.in.Observe {
		return
	}
	h.out.Observations = append(h.out.Observations, observation{Step: step, Files: readerView(h.in.Root, h.observed)})
}

// readerView: every entry of each pod directory whose name does not start with "." (the names servers are
// given), read by name as a reader does: symlinks followed; nil when it cannot be read.
func readerView(root string, dirs []string) map[string]*string {
	files := map[string]*string{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			podPath := filepath.Join(dir, e.Name())
			local := filepath.Join(root, podPath)
			if st, err := os.Stat(local); err == nil && st.IsDir() {
				continue
			}
			b, err := os.ReadFile(local)
			if err != nil {
				files[podPath] = nil
				continue
			}
			text := string(b)
			files[podPath] = &text
		}
	}
	return files
}

// observeFromCommand is the harness run by a template command's program wrapper after each program
// (`harness observe <program> <args...>`): it appends the reader's view to the run's log.
func observeFromCommand(args []string) {
	logPath, root := os.Getenv("HARNESS_OBSERVE_LOG"), os.Getenv("HARNESS_OBSERVE_ROOT")
	if logPath == "" || root == "" {
		fail("observe: HARNESS_OBSERVE_LOG and HARNESS_OBSERVE_ROOT must be set")
	}
	dirs := strings.Split(os.Getenv("HARNESS_OBSERVE_DIRS"), "\n")
	// The program's arguments name local paths: show them as pod paths.
	for i, a := range args {
		if strings.HasPrefix(a, root+"/") {
			args[i] = strings.TrimPrefix(a, root)
		}
	}
	line, err := json.Marshal(observation{Step: "exec " + strings.Join(args, " "), Files: readerView(root, dirs)})
	if err != nil {
		fail("observe: %v", err)
	}
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		fail("observe: %v", err)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		fail("observe: %v", err)
	}
}

// dirState: what each non-hidden name of the observed directories is (to tell which files a command wrote).
func (h *harness) dirState() map[string]string {
	state := map[string]string{}
	for _, podPath := range h.observedNames() {
		st, err := os.Lstat(h.local(podPath))
		if err != nil {
			continue
		}
		id := fmt.Sprintf("%v %d %d", st.Mode(), st.Size(), st.ModTime().UnixNano())
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			id += fmt.Sprintf(" %d", sys.Ino)
		}
		if st.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(h.local(podPath))
			id += " -> " + target
		}
		state[podPath] = id
	}
	return state
}

// observedNames: the pod paths of the non-hidden names in the observed directories.
func (h *harness) observedNames() []string {
	var names []string
	for _, dir := range h.observed {
		entries, _ := os.ReadDir(h.local(dir))
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".") {
				names = append(names, filepath.Join(dir, e.Name()))
			}
		}
	}
	return names
}

type fileID struct {
	ino         uint64
	size, mtime int64
}

// targetState: the file each non-hidden name of the observed directories opens (symlinks followed).
func (h *harness) targetState() map[string]fileID {
	state := map[string]fileID{}
	for _, podPath := range h.observedNames() {
		st, err := os.Stat(h.local(podPath))
		if err != nil || st.IsDir() {
			continue
		}
		id := fileID{size: st.Size(), mtime: st.ModTime().UnixNano()}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			id.ino = sys.Ino
		}
		state[podPath] = id
	}
	return state
}

// runCommand runs a template's exec command as consul-template's runner does (see the header), its
// programs from input.commandPath only. Arguments that name a path in an observed pod directory are
// placed under input.root, as every other pod path of this harness. It returns the pod paths (of the
// observed directories, hidden names aside) the command created or changed.
func (h *harness) runCommand(e *execSpec) ([]string, error) {
	if h.in.CommandPath == "" {
		return nil, errors.New("a template command needs input.commandPath (the image's programs)")
	}
	argv := append([]string{}, e.Command...)
	// child/command-prep.go CommandPrep
	if len(argv) == 1 && len(strings.Fields(argv[0])) > 1 {
		argv = []string{"sh", "-c", argv[0]}
	}
	program := filepath.Join(h.in.CommandPath, filepath.Base(argv[0]))
	if _, err := os.Stat(program); err != nil {
		return nil, fmt.Errorf("%s is not among the image's programs modeled in %s", argv[0], h.in.CommandPath)
	}
	for i := 1; i < len(argv); i++ {
		for _, dir := range h.observed {
			if argv[i] == dir || strings.HasPrefix(argv[i], dir+"/") {
				argv[i] = h.local(argv[i])
				break
			}
		}
	}
	timeout := 30 * time.Second
	if e.Timeout != "" {
		d, err := parseDuration(e.Timeout)
		if err != nil {
			return nil, fmt.Errorf("exec timeout %q: %w", e.Timeout, err)
		}
		timeout = d
	}
	before := h.dirState()
	beforeTargets := h.targetState()
	cmd := exec.Command(program, argv[1:]...)
	cmd.Env = []string{"PATH=" + h.in.CommandPath}
	var logPath string
	if h.in.Observe {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		log, err := os.CreateTemp("", "observe-*.jsonl")
		if err != nil {
			return nil, err
		}
		log.Close()
		logPath = log.Name()
		defer os.Remove(logPath)
		cmd.Env = append(cmd.Env, "HARNESS_OBSERVE="+self, "HARNESS_OBSERVE_LOG="+logPath, "HARNESS_OBSERVE_ROOT="+h.in.Root, "HARNESS_OBSERVE_DIRS="+strings.Join(h.observed, "\n"))
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var runErr error
	select {
	case runErr = <-done:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		runErr = fmt.Errorf("command did not exit within time limit (%q)", timeout)
	}
	if logPath != "" {
		raw, _ := os.ReadFile(logPath)
		for _, line := range bytes.Split(raw, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var o observation
			if err := json.Unmarshal(line, &o); err != nil {
				return nil, fmt.Errorf("observation log: %w", err)
			}
			h.out.Observations = append(h.out.Observations, o)
		}
	}
	if runErr != nil {
		return nil, fmt.Errorf("%v: %s", runErr, strings.TrimSpace(stderr.String()))
	}
	// A file a reader is given may change only by a rename onto its name (or its symlink's target):
	// the same file (inode) with other contents was rewritten in place, which a reader can meet half
	// done, and which no observation after a program sees (a shell's own `>` redirection, say).
	for p, b := range beforeTargets {
		if a, ok := h.targetState()[p]; ok && a.ino == b.ino && (a.size != b.size || a.mtime != b.mtime) {
			return nil, fmt.Errorf("the command rewrote %s in place (same file, new contents)", p)
		}
	}
	after := h.dirState()
	var changed []string
	for p, id := range after {
		if before[p] != id {
			changed = append(changed, p)
		}
	}
	sort.Strings(changed)
	return changed, nil
}

func (h *harness) wrote(podPath string) {
	for _, w := range h.written {
		if w == podPath {
			return
		}
	}
	h.written = append(h.written, podPath)
}

// recall mirrors the brain lookup of secretFunc/pkiCertFunc: the value once fetched, else nil with the
// dependency marked missing (fetched before the next pass).
func (h *harness) recall(name string, fetch func() (interface{}, error)) interface{} {
	if v, ok := h.brain[name]; ok {
		return v
	}
	for _, d := range h.missing {
		if d.name == name {
			return nil
		}
	}
	h.missing = append(h.missing, &dependency{name: name, fetch: fetch})
	return nil
}

// ---------------------------------------------------------------------------------------------------
// The function map: every name consul-template v0.39.1 registers (template/template.go funcMap) and
// every Sprig v3.2.3 function as sprig_<name>. The ones the platform's templates use are modeled; any
// other registered name exists (so parsing behaves as in the agent) but fails when executed, asking
// for a model with its upstream source, so a template can never pass on a function nobody checked.

var consulTemplateFunctions = []string{
	"add", "base64Decode", "base64Encode", "base64URLDecode", "base64URLEncode", "byKey", "byMeta", "byPort", "byTag",
	"caLeaf", "caRoots", "connect", "contains", "containsAll", "containsAny", "containsNone", "containsNotAll",
	"datacenters", "divide", "env", "envOrDefault", "executeTemplate", "explode", "explodeMap", "exportedServices",
	"file", "hmacSHA256Hex", "in", "indent", "join", "key", "keyExists", "keyOrDefault", "loop", "ls", "maximum",
	"md5sum", "mergeMap", "mergeMapWithOverride", "minimum", "modulo", "multiply", "mustEnv", "node", "nodes",
	"nomadService", "nomadServices", "nomadVar", "nomadVarExists", "nomadVarList", "nomadVarListSafe", "parseBool",
	"parseFloat", "parseInt", "parseJSON", "parseUint", "parseYAML", "partitions", "peerings", "pkiCert", "plugin",
	"regexMatch", "regexReplaceAll", "replaceAll", "safeLs", "safeTree", "scratch", "secret", "secrets", "service",
	"services", "sha256Hex", "sockaddr", "spew_dump", "spew_printf", "spew_sdump", "spew_sprintf", "split",
	"splitToMap", "subtract", "timestamp", "toJSON", "toJSONPretty", "toLower", "toTOML", "toTitle",
	"toUnescapedJSON", "toUnescapedJSONPretty", "toUpper", "toYAML", "tree", "trim", "trimPrefix", "trimSpace",
	"trimSuffix", "writeToFile",
}

var sprigFunctions = []string{
	"abbrev", "abbrevboth", "add", "add1", "add1f", "addf", "adler32sum", "ago", "all", "any", "append", "atoi",
	"b32dec", "b32enc", "b64dec", "b64enc", "base", "bcrypt", "biggest", "buildCustomCert", "camelcase", "cat",
	"ceil", "chunk", "clean", "coalesce", "compact", "concat", "contains", "date", "dateInZone", "dateModify",
	"date_in_zone", "date_modify", "decryptAES", "deepCopy", "deepEqual", "default", "derivePassword", "dict", "dig",
	"dir", "div", "divf", "duration", "durationRound", "empty", "encryptAES", "env", "expandenv", "ext", "fail",
	"first", "float64", "floor", "fromJson", "genCA", "genCAWithKey", "genPrivateKey", "genSelfSignedCert",
	"genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey", "get", "getHostByName", "has", "hasKey",
	"hasPrefix", "hasSuffix", "hello", "htmlDate", "htmlDateInZone", "htpasswd", "indent", "initial", "initials",
	"int", "int64", "isAbs", "join", "kebabcase", "keys", "kindIs", "kindOf", "last", "list", "lower", "max",
	"maxf", "merge", "mergeOverwrite", "min", "minf", "mod", "mul", "mulf", "mustAppend", "mustChunk",
	"mustCompact", "mustDateModify", "mustDeepCopy", "mustFirst", "mustFromJson", "mustHas", "mustInitial",
	"mustLast", "mustMerge", "mustMergeOverwrite", "mustPrepend", "mustRegexFind", "mustRegexFindAll",
	"mustRegexMatch", "mustRegexReplaceAll", "mustRegexReplaceAllLiteral", "mustRegexSplit", "mustRest",
	"mustReverse", "mustSlice", "mustToDate", "mustToJson", "mustToPrettyJson", "mustToRawJson", "mustUniq",
	"mustWithout", "must_date_modify", "nindent", "nospace", "now", "omit", "osBase", "osClean", "osDir", "osExt",
	"osIsAbs", "pick", "pluck", "plural", "prepend", "quote", "randAlpha", "randAlphaNum", "randAscii",
	"randBytes", "randInt", "randNumeric", "regexFind", "regexFindAll", "regexMatch", "regexQuoteMeta",
	"regexReplaceAll", "regexReplaceAllLiteral", "regexSplit", "repeat", "replace", "rest", "reverse", "round",
	"semver", "semverCompare", "seq", "set", "sha1sum", "sha256sum", "shuffle", "slice", "snakecase", "sortAlpha",
	"split", "splitList", "splitn", "squote", "sub", "subf", "substr", "swapcase", "ternary", "title", "toDate",
	"toDecimal", "toJson", "toPrettyJson", "toRawJson", "toString", "toStrings", "trim", "trimAll", "trimPrefix",
	"trimSuffix", "trimall", "trunc", "tuple", "typeIs", "typeIsLike", "typeOf", "uniq", "unixEpoch", "unset",
	"until", "untilStep", "untitle", "upper", "urlJoin", "urlParse", "uuidv4", "values", "without", "wrap",
	"wrapWith",
}

func unmodeled(name string) interface{} {
	return func(args ...interface{}) (interface{}, error) {
		return nil, fmt.Errorf("%s is a consul-template function this harness does not model: add it to __tests__/support/vault-agent/main.go with its upstream source", name)
	}
}

func (h *harness) funcMap(destination string) template.FuncMap {
	m := template.FuncMap{}
	for _, n := range consulTemplateFunctions {
		m[n] = unmodeled(n)
	}
	for _, n := range sprigFunctions {
		m["sprig_"+n] = unmodeled("sprig_" + n)
	}
	// Dependency names as dependency/vault_read.go, vault_write.go and vault_pki.go String() give them.
	m["secret"] = func(s ...string) (interface{}, error) {
		if len(s) == 0 {
			return nil, nil
		}
		if _, err := parseArgs(s[1:]); err != nil {
			return nil, err
		}
		path := strings.Trim(strings.TrimSpace(s[0]), "/")
		name := "vault.read(" + path + ")"
		if len(s) > 1 {
			name = "vault.write(" + path + " -> " + strings.Join(s[1:], "\x00") + ")"
		}
		return h.recall(name, func() (interface{}, error) { return h.secret(s...) }), nil
	}
	m["pkiCert"] = func(s ...string) (interface{}, error) {
		if len(s) == 0 {
			return nil, nil
		}
		if _, err := parseArgs(s[1:]); err != nil {
			return nil, err
		}
		name := "vault.pki(" + s[0] + "->" + destination + ")"
		return h.recall(name, func() (interface{}, error) { return h.pkiCert(destination, s...) }), nil
	}
	m["writeToFile"] = h.writeToFile
	m["env"] = func(s string) (string, error) { return h.in.Env[s], nil }
	// template/funcs.go: the same one-liners over the standard library.
	m["sha256Hex"] = func(item string) (string, error) {
		sum := sha256.Sum256([]byte(item))
		return hex.EncodeToString(sum[:]), nil
	}
	m["replaceAll"] = func(f, t, s string) (string, error) { return strings.Replace(s, f, t, -1), nil }
	m["toJSON"] = func(i interface{}) (string, error) {
		b, err := json.Marshal(i)
		if err != nil {
			return "", fmt.Errorf("toJSON: %w", err)
		}
		return string(bytes.TrimSpace(b)), nil
	}
	m["trimSpace"] = func(s string) (string, error) { return strings.TrimSpace(s), nil }
	m["toLower"] = func(s string) (string, error) { return strings.ToLower(s), nil }
	m["toUpper"] = func(s string) (string, error) { return strings.ToUpper(s), nil }
	m["base64Encode"] = func(s string) (string, error) { return base64.StdEncoding.EncodeToString([]byte(s)), nil }
	return m
}

// writeToFile mirrors template/funcs.go writeToFile(path, username, groupName, permissions, args...)
// of consul-template v0.39.1 step by step: to append, os.OpenFile(O_APPEND|O_WRONLY|O_CREATE, perm);
// else MkdirAll(dir, ModePerm) when the directory is missing, and os.Create(path) (an existing file is
// truncated and opened for writing, its mode unchanged: EACCES for a non-root owner of a read-only
// file); write; chown when a user or group is given; then os.Chmod(path, perm).
func (h *harness) writeToFile(podPath, username, groupName, permissions string, args ...string) (string, error) {
	if len(args) == 0 {
		// upstream indexes args[len(args)-1]; text/template turns the panic into an error.
		return "", errors.New("writeToFile: no content")
	}
	path := h.local(podPath)
	flags := ""
	if len(args) == 2 {
		flags = args[0]
	}
	content := args[len(args)-1]
	pu, err := strconv.ParseUint(permissions, 8, 32)
	if err != nil {
		return "", err
	}
	perm := os.FileMode(pu)
	var f *os.File
	if strings.Contains(flags, "append") {
		f, err = os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, perm)
		if err != nil {
			return "", err
		}
	} else {
		dirPath := filepath.Dir(path)
		if _, err := os.Stat(dirPath); err != nil {
			if err := os.MkdirAll(dirPath, os.ModePerm); err != nil {
				return "", err
			}
		}
		f, err = os.Create(path)
		if err != nil {
			return "", err
		}
		h.observe("writeToFile os.Create " + podPath)
	}
	defer f.Close()
	data := []byte(content)
	if strings.Contains(flags, "newline") {
		data = append(data, '\n')
	}
	if _, err = f.Write(data); err != nil {
		return "", err
	}
	h.observe("writeToFile write " + podPath)
	if username != "" || groupName != "" {
		// upstream looks names up (os/user) and falls back to numbers; only numbers are modeled.
		uid, gid := os.Getuid(), os.Getgid()
		if username != "" {
			if uid, err = strconv.Atoi(username); err != nil {
				return "", fmt.Errorf("writeToFile: user %q by name is not modeled (give a uid)", username)
			}
		}
		if groupName != "" {
			if gid, err = strconv.Atoi(groupName); err != nil {
				return "", fmt.Errorf("writeToFile: group %q by name is not modeled (give a gid)", groupName)
			}
		}
		if err := os.Chown(path, uid, gid); err != nil {
			return "", err
		}
	}
	if err := os.Chmod(path, perm); err != nil {
		return "", err
	}
	h.observe("writeToFile os.Chmod " + podPath)
	h.wrote(podPath)
	return "", nil
}

// ---------------------------------------------------------------------------------------------------
// ACL

func (h *harness) allowed(path string, caps ...string) error {
	for _, r := range h.in.Vault.Policy {
		if !pathMatches(r.Path, path) {
			continue
		}
		for _, c := range r.Capabilities {
			if c == "deny" {
				return fmt.Errorf("permission denied: %s (policy denies)", path)
			}
			for _, want := range caps {
				if c == want {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("Code: 403. Errors: * permission denied on %s: the pod's policy grants none of %v", path, caps)
}

func pathMatches(pattern, path string) bool {
	if strings.HasSuffix(pattern, "*") {
		prefix := strings.TrimSuffix(pattern, "*")
		if !strings.Contains(prefix, "+") {
			return strings.HasPrefix(path, prefix)
		}
		ps, qs := strings.Split(prefix, "/"), strings.Split(path, "/")
		if len(qs) < len(ps) {
			return false
		}
		for i, seg := range ps {
			if i == len(ps)-1 {
				return strings.HasPrefix(qs[i], seg)
			}
			if seg != "+" && seg != qs[i] {
				return false
			}
		}
		return true
	}
	ps, qs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(qs) {
		return false
	}
	for i := range ps {
		if ps[i] != "+" && ps[i] != qs[i] {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------------------------------
// secret

func parseArgs(rest []string) (map[string]string, error) {
	data := map[string]string{}
	for _, str := range rest {
		if len(str) == 0 {
			continue
		}
		parts := strings.SplitN(str, "=", 2)
		if len(parts) != 2 {
			return nil, fmt.Errorf("not k=v pair %q", str)
		}
		data[strings.TrimSpace(parts[0])] = strings.TrimSpace(parts[1])
	}
	return data, nil
}

func (h *harness) secret(s ...string) (interface{}, error) {
	if len(s) == 0 {
		return nil, nil
	}
	path := strings.Trim(strings.TrimSpace(s[0]), "/")
	data, err := parseArgs(s[1:])
	if err != nil {
		return nil, err
	}
	h.out.Requests = append(h.out.Requests, request{Function: "secret", Path: path, Data: data})
	v := h.in.Vault
	if len(s) > 1 {
		// A write (dependency.NewVaultWriteQuery).
		if err := h.allowed(path, "update", "create"); err != nil {
			return nil, err
		}
		if role, ok := h.pkiIssuePath(path); ok {
			resp, err := h.issue(role, data)
			if err != nil {
				return nil, err
			}
			return &Secret{Data: resp}, nil
		}
		return nil, fmt.Errorf("secret write to %s is not modeled", path)
	}
	if err := h.allowed(path, "read"); err != nil {
		return nil, err
	}
	for _, mount := range v.KVMounts {
		if strings.HasPrefix(path, mount+"/data/") {
			logical := mount + "/" + strings.TrimPrefix(path, mount+"/data/")
			fields, ok := v.KV[logical]
			if !ok {
				return nil, fmt.Errorf("no secret exists at %s", path)
			}
			d := map[string]interface{}{}
			for k, val := range fields {
				d[k] = val
			}
			return &Secret{Data: map[string]interface{}{
				"data": d,
				"metadata": map[string]interface{}{
					"created_time": h.now.UTC().Format(time.RFC3339Nano), "custom_metadata": nil, "deletion_time": "",
					"destroyed": false, "version": json.Number("1"),
				},
			}}, nil
		}
	}
	if v.Database.Mount != "" && strings.HasPrefix(path, v.Database.Mount+"/creds/") {
		role := strings.TrimPrefix(path, v.Database.Mount+"/creds/")
		r, ok := v.Database.Roles[role]
		if !ok {
			return nil, fmt.Errorf("Code: 400. Errors: * unknown role: %s", role)
		}
		username := truncate(fmt.Sprintf("v-%s-%s-%s-%d", truncate(v.Database.DisplayName, 8), truncate(role, 8), randomBase62(20), h.now.Unix()), 63)
		password := defaultPassword()
		ttl := r.DefaultTTL
		leaseID := fmt.Sprintf("%s/%s", path, randomBase62(24))
		h.out.Leases = append(h.out.Leases, lease{
			Path: path, Role: role, LeaseID: leaseID, LeaseDuration: ttl, Username: username, Password: password,
			Expiration: h.now.Add(time.Duration(ttl) * time.Second).Format("2006-01-02 15:04:05-0700"),
		})
		return &Secret{LeaseID: leaseID, LeaseDuration: ttl, Renewable: true, Data: map[string]interface{}{"username": username, "password": password}}, nil
	}
	if v.PKI.Mount != "" && (path == v.PKI.Mount+"/cert/ca_chain") {
		ca, err := h.loadCA()
		if err != nil {
			return nil, err
		}
		chain := ca.interPEM + "\n" + ca.rootPEM
		return &Secret{Data: map[string]interface{}{
			"certificate": chain, "ca_chain": chain, "revocation_time": json.Number("0"), "revocation_time_rfc3339": "",
		}}, nil
	}
	return nil, fmt.Errorf("secret read of %s is not modeled", path)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func randomBase62(n int) string {
	b := make([]byte, n)
	for i := range b {
		v, _ := rand.Int(rand.Reader, big.NewInt(int64(len(base62))))
		b[i] = base62[v.Int64()]
	}
	return string(b)
}

// Vault's default password for database credentials: 20 characters of [a-zA-Z0-9-], at least one of each
// class (helper/random default policy, "DefaultStringGenerator").
func defaultPassword() string {
	const lower, upper, digits = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
	all := lower + upper + digits + "-"
	for {
		b := make([]byte, 20)
		for i := range b {
			v, _ := rand.Int(rand.Reader, big.NewInt(int64(len(all))))
			b[i] = all[v.Int64()]
		}
		s := string(b)
		if strings.ContainsAny(s, lower) && strings.ContainsAny(s, upper) && strings.ContainsAny(s, digits) && strings.Contains(s, "-") {
			return s
		}
	}
}

// ---------------------------------------------------------------------------------------------------
// pkiCert (dependency/vault_pki.go)

func (h *harness) pkiIssuePath(path string) (string, bool) {
	p := h.in.Vault.PKI
	if p.Mount == "" || !strings.HasPrefix(path, p.Mount+"/issue/") {
		return "", false
	}
	return strings.TrimPrefix(path, p.Mount+"/issue/"), true
}

// The renewal threshold consul-template uses by default (VaultLeaseRenewalThreshold 0.9), less the 3%
// jitter goodFor may subtract, so the harness reuses a cached certificate only when the agent would.
const renewalThreshold = 0.87

func (h *harness) pkiCert(destination string, s ...string) (interface{}, error) {
	if len(s) == 0 {
		return nil, nil
	}
	path := strings.Trim(strings.TrimSpace(s[0]), "/")
	data, err := parseArgs(s[1:])
	if err != nil {
		return nil, err
	}
	if raw, err := os.ReadFile(h.local(destination)); err == nil && len(raw) > 0 {
		enc, cert, err := pemsCert(raw)
		if err != nil {
			return PemEncoded{}, err
		}
		if cert != nil {
			life := cert.NotAfter.Sub(cert.NotBefore)
			if h.later.Before(cert.NotBefore.Add(time.Duration(float64(life) * renewalThreshold))) {
				h.out.Requests = append(h.out.Requests, request{Function: "pkiCert", Path: path, Data: data, Cached: true})
				return enc, nil
			}
		}
	}
	h.out.Requests = append(h.out.Requests, request{Function: "pkiCert", Path: path, Data: data})
	if err := h.allowed(path, "update", "create"); err != nil {
		return nil, err
	}
	role, ok := h.pkiIssuePath(path)
	if !ok {
		return nil, fmt.Errorf("pkiCert of %s is not modeled (only <pki mount>/issue/<role>)", path)
	}
	resp, err := h.issue(role, data)
	if err != nil {
		return nil, err
	}
	// fetchPEMs: every string field, and each ca_chain entry, one after the other (map order).
	var pems bytes.Buffer
	for k, v := range resp {
		switch v := v.(type) {
		case string:
			pems.WriteString(v + "\n")
		case []interface{}:
			if k == "ca_chain" {
				for _, item := range v {
					if s, ok := item.(string); ok {
						pems.WriteString(s + "\n")
					}
				}
			}
		}
	}
	enc, _, err := pemsCert(pems.Bytes())
	return enc, err
}

// pemsCert mirrors dependency/vault_pki.go pemsCert: the last non-CA certificate is Cert, the first CA
// certificate is CA, every distinct CA certificate goes to CAChain, any "... PRIVATE KEY" block is Key.
func pemsCert(encoded []byte) (PemEncoded, *x509.Certificate, error) {
	var enc PemEncoded
	var cert *x509.Certificate
	rest := encoded
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return enc, cert, nil
		}
		if strings.HasSuffix(block.Type, "PRIVATE KEY") {
			enc.Key = string(pem.EncodeToMemory(block))
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return PemEncoded{}, nil, err
		}
		text := string(pem.EncodeToMemory(block))
		if c.IsCA {
			if enc.CA == "" {
				enc.CA = text
			}
			seen := false
			for _, x := range enc.CAChain {
				seen = seen || x == text
			}
			if !seen {
				enc.CAChain = append(enc.CAChain, text)
			}
			continue
		}
		cert = c
		enc.Cert = text
	}
}

// ---------------------------------------------------------------------------------------------------
// Vault's PKI: admission and issuance (builtin/logical/pki/issuing/issue_common.go)

var (
	labelPattern      = `([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])`
	leftWildLabel     = fmt.Sprintf(`(%s|%s|%s|%s)`, `\*`, `\*`+labelPattern, labelPattern+`\*`, labelPattern+`\*`+labelPattern)
	hostnamePattern   = fmt.Sprintf(`(%s\.)*%s\.?$`, labelPattern, labelPattern)
	wildHostnameRegex = regexp.MustCompile(fmt.Sprintf(`^(%s\.)?%s`, leftWildLabel, hostnamePattern))
)

func (h *harness) issue(roleName string, data map[string]string) (map[string]interface{}, error) {
	role, ok := h.in.Vault.PKI.Roles[roleName]
	if !ok {
		return nil, fmt.Errorf("Code: 400. Errors: * unknown role: %s", roleName)
	}
	var warnings []string
	known := map[string]bool{"common_name": true, "alt_names": true, "ip_sans": true, "uri_sans": true, "other_sans": true, "ttl": true,
		"format": true, "private_key_format": true, "exclude_cn_from_sans": true, "not_after": true, "serial_number": true, "user_ids": true, "remove_roots_from_chain": true}
	for k := range data {
		if !known[k] {
			warnings = append(warnings, fmt.Sprintf("Endpoint ignored these unrecognized parameters: [%s]", k))
		}
	}
	cn := data["common_name"]
	if cn == "" && role.RequireCN {
		return nil, errors.New(`Code: 400. Errors: * the common_name field is required, or must be provided in a CSR with "use_csr_common_name" set to true, unless "require_cn" is set to false`)
	}
	var dnsNames []string
	if cn != "" && !parseBool(data["exclude_cn_from_sans"]) && !strings.Contains(cn, "@") && wildHostnameRegex.MatchString(strings.ToLower(cn)) {
		dnsNames = append(dnsNames, strings.ToLower(cn))
	}
	if alt, ok := data["alt_names"]; ok {
		for _, v := range dedupSort(strings.Split(alt, ",")) {
			if strings.Contains(v, "@") {
				return nil, fmt.Errorf("email SANs are not modeled: %s", v)
			}
			if !wildHostnameRegex.MatchString(strings.ToLower(v)) {
				return nil, fmt.Errorf("Code: 400. Errors: * subject alternate name %s is not a valid DNS name and cannot be included as a SAN", v)
			}
			dnsNames = append(dnsNames, strings.ToLower(v))
		}
	}
	if cn != "" {
		if bad := validateCommonName(role, cn); bad != "" {
			return nil, fmt.Errorf("Code: 400. Errors: * common name %s not allowed by this role", bad)
		}
	}
	if bad := validateNames(role, dnsNames); bad != "" {
		return nil, fmt.Errorf("Code: 400. Errors: * subject alternate name %s not allowed by this role", bad)
	}
	var ips []net.IP
	if v := data["ip_sans"]; v != "" {
		if !role.AllowIPSANs {
			return nil, fmt.Errorf("Code: 400. Errors: * IP Subject Alternative Names are not allowed in this role, but was provided %s", v)
		}
		for _, s := range strings.Split(v, ",") {
			ip := net.ParseIP(strings.TrimSpace(s))
			if ip == nil {
				return nil, fmt.Errorf("Code: 400. Errors: * the value %q is not a valid IP address", s)
			}
			ips = append(ips, ip)
		}
	}
	if data["uri_sans"] != "" || data["other_sans"] != "" {
		return nil, errors.New("Code: 400. Errors: * URI/other SANs are not allowed in this role")
	}

	ca, err := h.loadCA()
	if err != nil {
		return nil, err
	}
	ttl, err := parseDuration(data["ttl"])
	if err != nil {
		return nil, err
	}
	if ttl == 0 {
		ttl, _ = parseDuration(role.TTL)
	}
	maxTTL, _ := parseDuration(role.MaxTTL)
	if maxTTL > 0 && ttl > maxTTL {
		warnings = append(warnings, fmt.Sprintf("TTL %q is longer than permitted maxTTL %q, so maxTTL is being used", ttl, maxTTL))
		ttl = maxTTL
	}
	if ttl == 0 {
		return nil, errors.New("no ttl: the role and the request give none (mount defaults are not modeled)")
	}
	notAfter := h.now.Add(ttl)
	if notAfter.After(ca.interCert.NotAfter) {
		return nil, fmt.Errorf("Code: 400. Errors: * cannot satisfy request, as TTL would result in notAfter of %s that is beyond the expiration of the CA certificate at %s", notAfter.UTC().Format(time.RFC3339Nano), ca.interCert.NotAfter.UTC().Format(time.RFC3339Nano))
	}
	notBeforeDuration := 30 * time.Second
	if role.NotBeforeDuration != "" {
		if d, err := parseDuration(role.NotBeforeDuration); err == nil {
			notBeforeDuration = d
		}
	}

	key, err := generateKey(role.KeyType, role.KeyBits)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 159))
	if err != nil {
		return nil, err
	}
	var eku []x509.ExtKeyUsage
	var ekuNames []string
	if role.ServerFlag {
		eku = append(eku, x509.ExtKeyUsageServerAuth)
		ekuNames = append(ekuNames, "serverAuth")
	}
	if role.ClientFlag {
		eku = append(eku, x509.ExtKeyUsageClientAuth)
		ekuNames = append(ekuNames, "clientAuth")
	}
	if role.CodeSigningFlag {
		eku = append(eku, x509.ExtKeyUsageCodeSigning)
		ekuNames = append(ekuNames, "codeSigning")
	}
	if role.EmailProtectionFlag {
		eku = append(eku, x509.ExtKeyUsageEmailProtection)
		ekuNames = append(ekuNames, "emailProtection")
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             h.now.Add(-notBeforeDuration),
		NotAfter:              notAfter,
		KeyUsage:              keyUsage(role.KeyUsage),
		ExtKeyUsage:           eku,
		BasicConstraintsValid: true,
		IsCA:                  false,
		DNSNames:              dedup(dnsNames),
		IPAddresses:           ips,
		AuthorityKeyId:        ca.interCert.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.interCert, key.Public(), ca.interKey)
	if err != nil {
		return nil, err
	}
	leaf, _ := x509.ParseCertificate(der)
	keyPEM, keyType, err := marshalKey(key, data["private_key_format"] == "pkcs8")
	if err != nil {
		return nil, err
	}
	h.out.Issued = append(h.out.Issued, issued{
		Role: roleName, CommonName: cn, DNSNames: leaf.DNSNames, Serial: fmt.Sprintf("%X", leaf.SerialNumber), NotAfter: leaf.NotAfter.UTC().Format(time.RFC3339),
		KeyPEMType: keyType, ExtKeyUses: ekuNames, Warnings: warnings,
	})
	return map[string]interface{}{
		"certificate":      pemText("CERTIFICATE", der),
		"issuing_ca":       ca.interPEM,
		"ca_chain":         []interface{}{ca.interPEM, ca.rootPEM},
		"private_key":      keyPEM,
		"private_key_type": role.KeyType,
		"serial_number":    colonHex(leaf.SerialNumber.Bytes()),
		"expiration":       json.Number(strconv.FormatInt(leaf.NotAfter.Unix(), 10)),
	}, nil
}

func validateCommonName(role pkiRole, name string) string {
	if len(role.CNValidations) == 1 && role.CNValidations[0] == "disabled" {
		return ""
	}
	if validateNames(role, []string{name}) != "" {
		return name
	}
	validations := role.CNValidations
	if validations == nil {
		// The role's default (path_roles.go cn_validations): email and hostname.
		validations = []string{"email", "hostname"}
	}
	if len(validations) == 0 {
		return ""
	}
	want := "hostname"
	if strings.Contains(name, "@") {
		want = "email"
	}
	for _, v := range validations {
		if v == want {
			return ""
		}
	}
	return name
}

// validateNames mirrors issuing.ValidateNames for DNS names (email names are not modeled).
func validateNames(role pkiRole, names []string) string {
	for _, name := range names {
		reduced := name
		wildcardLabel := ""
		isWildcard := false
		if strings.Contains(reduced, "*") {
			isWildcard = true
			if role.AllowWildcardCertificates != nil && !*role.AllowWildcardCertificates {
				return name
			}
			if strings.Count(reduced, "*") > 1 {
				return name
			}
			parts := strings.SplitN(reduced, ".", 2)
			if len(parts) != 2 {
				wildcardLabel, reduced = parts[0], ""
			} else {
				wildcardLabel, reduced = parts[0], parts[1]
				if strings.Contains(reduced, "*") {
					return name
				}
			}
		}
		if role.EnforceHostnames && reduced != "" {
			converted := strings.ToLower(reduced)
			if isWildcard {
				converted = wildcardLabel + "." + converted
			}
			if !wildHostnameRegex.MatchString(converted) {
				return name
			}
		}
		if role.AllowAnyName {
			continue
		}
		if role.AllowLocalhost {
			if reduced == "localhost" || reduced == "localdomain" {
				continue
			}
			if role.AllowSubdomains && (strings.HasSuffix(reduced, ".localhost") || (isWildcard && reduced == "localhost") ||
				strings.HasSuffix(reduced, ".localdomain") || (isWildcard && reduced == "localdomain")) {
				continue
			}
		}
		valid := false
		for _, d := range role.AllowedDomains {
			if d == "" {
				continue
			}
			if role.AllowBareDomains && strings.EqualFold(name, d) {
				valid = true
				break
			}
			if role.AllowSubdomains && (strings.HasSuffix(reduced, "."+d) || (isWildcard && strings.EqualFold(reduced, d))) {
				valid = true
				break
			}
			if role.AllowGlobDomains && strings.Contains(d, "*") && glob(strings.ToLower(d), strings.ToLower(name)) {
				valid = true
				break
			}
		}
		if !valid {
			return name
		}
	}
	return ""
}

// glob mirrors github.com/ryanuber/go-glob Glob: `*` matches any run of characters, dots included.
func glob(pattern, subj string) bool {
	if pattern == "" {
		return subj == pattern
	}
	if pattern == "*" {
		return true
	}
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return subj == pattern
	}
	leadingGlob, trailingGlob := strings.HasPrefix(pattern, "*"), strings.HasSuffix(pattern, "*")
	end := len(parts) - 1
	for i := 0; i < end; i++ {
		idx := strings.Index(subj, parts[i])
		switch i {
		case 0:
			if !leadingGlob && idx != 0 {
				return false
			}
		default:
			if idx < 0 {
				return false
			}
		}
		subj = subj[idx+len(parts[i]):]
	}
	return trailingGlob || strings.HasSuffix(subj, parts[end])
}

func parseBool(s string) bool {
	b, _ := strconv.ParseBool(s)
	return b
}

func dedupSort(in []string) []string {
	out := dedup(in)
	sort.Strings(out)
	return out
}

func dedup(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// parseDuration mirrors parseutil.ParseDurationSecond: "72h", "30m", or a number of seconds.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	if strings.HasSuffix(s, "d") {
		n, err := strconv.ParseInt(strings.TrimSuffix(s, "d"), 10, 64)
		if err == nil {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	return time.ParseDuration(s)
}

// keyUsageByName: the names a role's key_usage lists (Vault's path_roles.go, case-insensitive), as x509 bits.
var keyUsageByName = map[string]x509.KeyUsage{
	"digitalsignature":  x509.KeyUsageDigitalSignature,
	"contentcommitment": x509.KeyUsageContentCommitment,
	"keyencipherment":   x509.KeyUsageKeyEncipherment,
	"dataencipherment":  x509.KeyUsageDataEncipherment,
	"keyagreement":      x509.KeyUsageKeyAgreement,
	"certsign":          x509.KeyUsageCertSign,
	"crlsign":           x509.KeyUsageCRLSign,
	"encipheronly":      x509.KeyUsageEncipherOnly,
	"decipheronly":      x509.KeyUsageDecipherOnly,
}

func keyUsage(names []string) x509.KeyUsage {
	if names == nil {
		// The role's default (path_roles.go key_usage): DigitalSignature, KeyAgreement, KeyEncipherment.
		names = []string{"DigitalSignature", "KeyAgreement", "KeyEncipherment"}
	}
	var ku x509.KeyUsage
	for _, n := range names {
		ku |= keyUsageByName[strings.ToLower(strings.TrimSpace(n))]
	}
	return ku
}

func generateKey(keyType string, bits int) (crypto.Signer, error) {
	switch keyType {
	case "ec":
		switch bits {
		case 224:
			return ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
		case 256, 0:
			return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		case 384:
			return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		case 521:
			return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		}
		return nil, fmt.Errorf("unsupported bit length for EC key: %d", bits)
	case "rsa":
		if bits == 0 {
			bits = 2048
		}
		if bits < 2048 {
			return nil, errors.New("RSA keys < 2048 bits are unsafe and not supported")
		}
		return rsa.GenerateKey(rand.Reader, bits)
	case "ed25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("key type %q is not modeled", keyType)
}

// marshalKey: SEC1 for EC and PKCS#1 for RSA (certutil), PKCS#8 when asked (convertRespToPKCS8).
func marshalKey(key crypto.Signer, pkcs8 bool) (string, string, error) {
	if pkcs8 {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return "", "", err
		}
		return pemText("PRIVATE KEY", der), "PRIVATE KEY", nil
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return "", "", err
		}
		return pemText("EC PRIVATE KEY", der), "EC PRIVATE KEY", nil
	case *rsa.PrivateKey:
		return pemText("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)), "RSA PRIVATE KEY", nil
	default:
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return "", "", err
		}
		return pemText("PRIVATE KEY", der), "PRIVATE KEY", nil
	}
}

// pemText is a PEM block without its trailing newline, as certutil's CertBundle strings are.
func pemText(kind string, der []byte) string {
	return strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})))
}

func colonHex(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(parts, ":")
}

// ---------------------------------------------------------------------------------------------------
// The CA pair (root -> intermediate), made once per CA directory with the synthesized key settings.

func (h *harness) loadCA() (*caPair, error) {
	if h.ca != nil {
		return h.ca, nil
	}
	p := h.in.Vault.PKI
	if p.CA != nil {
		// Given by the test (Vault's side; the pod's uid runs this process and cannot read caDir).
		files := map[string]string{"root.crt": p.CA.Root, "intermediate.crt": p.CA.Intermediate, "intermediate.key": p.CA.IntermediateKey}
		return h.parseCA(func(name string) []byte { return []byte(files[name]) })
	}
	if p.CADir == "" {
		return nil, errors.New("no CA directory")
	}
	read := func(name string) []byte {
		b, _ := os.ReadFile(filepath.Join(p.CADir, name))
		return b
	}
	if len(read("intermediate.key")) == 0 {
		if err := makeCA(p); err != nil {
			return nil, err
		}
	}
	return h.parseCA(read)
}

func (h *harness) parseCA(read func(name string) []byte) (*caPair, error) {
	parseCert := func(name string) (*x509.Certificate, string, error) {
		b := read(name)
		block, _ := pem.Decode(b)
		if block == nil {
			return nil, "", fmt.Errorf("%s: no PEM", name)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		return c, strings.TrimSpace(string(b)), err
	}
	root, rootPEM, err := parseCert("root.crt")
	if err != nil {
		return nil, err
	}
	inter, interPEM, err := parseCert("intermediate.crt")
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(read("intermediate.key"))
	if block == nil {
		return nil, errors.New("intermediate.key: no PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	h.ca = &caPair{rootCert: root, interCert: inter, rootPEM: rootPEM, interPEM: interPEM, interKey: k.(crypto.Signer)}
	return h.ca, nil
}

func makeCA(p pkiModel) error {
	if err := os.MkdirAll(p.CADir, 0o700); err != nil {
		return err
	}
	now := time.Now()
	rootKey, err := generateKey(p.Root.KeyType, p.Root.KeyBits)
	if err != nil {
		return err
	}
	rootTTL, _ := parseDuration(p.Root.TTL)
	interTTL, _ := parseDuration(p.Intermediate.TTL)
	if rootTTL == 0 || interTTL == 0 {
		return errors.New("root and intermediate need a ttl")
	}
	ski := func(pub crypto.PublicKey) []byte {
		der, _ := x509.MarshalPKIXPublicKey(pub)
		sum := sha256.Sum256(der)
		return sum[:20]
	}
	serial := func() *big.Int { n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 159)); return n }
	rootTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: p.Root.CommonName}, NotBefore: now.Add(-30 * time.Second), NotAfter: now.Add(rootTTL),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true, MaxPathLen: 1, SubjectKeyId: ski(rootKey.Public()),
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return err
	}
	rootCert, _ := x509.ParseCertificate(rootDER)
	interKey, err := generateKey(p.Intermediate.KeyType, p.Intermediate.KeyBits)
	if err != nil {
		return err
	}
	interTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: p.Intermediate.CommonName}, NotBefore: now.Add(-30 * time.Second), NotAfter: now.Add(interTTL),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true, MaxPathLen: 0, MaxPathLenZero: true,
		SubjectKeyId: ski(interKey.Public()), AuthorityKeyId: rootCert.SubjectKeyId,
	}
	interDER, err := x509.CreateCertificate(rand.Reader, interTmpl, rootCert, interKey.Public(), rootKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(interKey)
	if err != nil {
		return err
	}
	files := map[string]string{
		"root.crt":         pemText("CERTIFICATE", rootDER) + "\n",
		"intermediate.crt": pemText("CERTIFICATE", interDER) + "\n",
		"intermediate.key": pemText("PRIVATE KEY", keyDER) + "\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(p.CADir, name), []byte(text), 0o600); err != nil {
			return err
		}
	}
	return nil
}
