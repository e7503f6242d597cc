import { Construct } from "constructs";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { idOf } from "../../lib/construct-id";

/** The Google APIs the GCP cloud layer uses. */
export const REQUIRED_SERVICES = [
  "artifactregistry.googleapis.com",
  "binaryauthorization.googleapis.com",
  "cloudkms.googleapis.com",
  "cloudresourcemanager.googleapis.com",
  "compute.googleapis.com",
  "container.googleapis.com",
  "iam.googleapis.com",
  "iamcredentials.googleapis.com",
  "logging.googleapis.com",
  "monitoring.googleapis.com",
  "storage.googleapis.com",
] as const;

/** Props of {@link ProjectServices}. */
export interface ProjectServicesProps {
  readonly projectId: string;
  /**
   * APIs to enable.
   * @default REQUIRED_SERVICES
   */
  readonly services?: readonly string[];
}

/**
 * Enables the project's Google APIs the platform needs.
 *
 * Destroying the stack never disables an API (`disable_on_destroy: false`): other workloads in the
 * customer's project may use it, and disabling `container` or `compute` would delete their resources.
 */
export class ProjectServices extends Construct {
  /** One resource per API, in `services` order; other resources depend on them. */
  readonly services: readonly ProjectService[];

  constructor(scope: Construct, id: string, props: ProjectServicesProps) {
    super(scope, id);
    const services = props.services ?? REQUIRED_SERVICES;
    this.services = services.map(
      (service) =>
        new ProjectService(this, idOf(service.split(".")[0]), {
          project: props.projectId,
          service,
          disableOnDestroy: false,
          disableDependentServices: false,
        }),
    );
  }
}
