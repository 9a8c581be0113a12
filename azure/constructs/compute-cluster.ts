/**
 * An Azure ML compute cluster for jobs (batch scoring, scheduled monitoring)
 * that scales to zero nodes when idle, so it costs nothing between runs, and
 * the user-assigned identity its jobs run as, with only the roles a job
 * needs: pull the serving image, read what it reads, write what it writes.
 * Each role is on one resource (a registry, a blob container), never on the
 * storage account.
 *
 * User-assigned so Terraform owns the grants, and because a registry without
 * an admin user is pulled from by the compute's own identity (AcrPull).
 */
import { MachineLearningComputeCluster } from '@cdktf/provider-azurerm/lib/machine-learning-compute-cluster/index.js';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment/index.js';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity/index.js';
import type { Construct } from 'constructs';
import { FlatConstruct } from './flat.ts';

export interface ComputeClusterProps {
  readonly workspaceId: string;
  /** The compute's name in the workspace (2–16 letters, digits or hyphens, starting with a letter). */
  readonly name: string;
  /** The job identity's name. */
  readonly identityName: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** The container registry the job image is pulled from (AcrPull). */
  readonly registryId: string;
  /**
   * Resource IDs of blob containers jobs only read (Storage Blob Data Reader): the model files.
   * @default none
   */
  readonly readContainerIds?: readonly string[];
  /**
   * Resource IDs of blob containers jobs read and write (Storage Blob Data Contributor): inputs and outputs.
   * @default none
   */
  readonly writeContainerIds?: readonly string[];
  /**
   * VM size of each node.
   * @default 'Standard_DS3_v2' (4 vCPUs, 14 GiB: the online endpoint's size, so one DSv2 quota covers both)
   */
  readonly vmSize?: string;
  /**
   * Nodes a busy cluster may grow to.
   * @default 2
   */
  readonly maxNodes?: number;
  /**
   * Nodes kept when idle: 0 makes an idle cluster free.
   * @default 0
   */
  readonly minNodes?: number;
  /**
   * Seconds a node stays idle before the cluster scales it away.
   * @default 120
   */
  readonly idleSecondsBeforeScaleDown?: number;
  /** @default none */
  readonly tags?: Record<string, string>;
}

export class ComputeCluster extends FlatConstruct {
  readonly cluster: MachineLearningComputeCluster;
  readonly identity: UserAssignedIdentity;
  /** A job submitted to the cluster waits for these, or its first pull or read may be refused. */
  readonly grants: readonly RoleAssignment[];

  constructor(scope: Construct, id: string, props: ComputeClusterProps) {
    super(scope, id);
    const minNodes = props.minNodes ?? 0;
    const maxNodes = props.maxNodes ?? 2;
    if (!Number.isInteger(minNodes) || !Number.isInteger(maxNodes) || minNodes < 0 || maxNodes < Math.max(1, minNodes)) {
      throw new Error(`ComputeCluster ${id}: nodes must be whole numbers with 0 <= minNodes <= maxNodes and maxNodes >= 1 (got ${minNodes}..${maxNodes})`);
    }
    this.identity = new UserAssignedIdentity(this, 'job_identity', {
      name: props.identityName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags: props.tags,
    });
    const grant = (name: string, scope: string, roleDefinitionName: string) =>
      new RoleAssignment(this, name, { scope, roleDefinitionName, principalId: this.identity.principalId, principalType: 'ServicePrincipal' });
    this.grants = [
      grant('job_acr_pull', props.registryId, 'AcrPull'),
      ...(props.readContainerIds ?? []).map((scope, i) => grant(`job_blob_reader_${i}`, scope, 'Storage Blob Data Reader')),
      ...(props.writeContainerIds ?? []).map((scope, i) => grant(`job_blob_writer_${i}`, scope, 'Storage Blob Data Contributor')),
    ];
    this.cluster = new MachineLearningComputeCluster(this, 'job_cluster', {
      name: props.name,
      location: props.location,
      machineLearningWorkspaceId: props.workspaceId,
      vmSize: props.vmSize ?? 'Standard_DS3_v2',
      vmPriority: 'Dedicated',
      scaleSettings: {
        minNodeCount: minNodes,
        maxNodeCount: maxNodes,
        scaleDownNodesAfterIdleDuration: isoDuration(props.idleSecondsBeforeScaleDown ?? 120),
      },
      identity: { type: 'UserAssigned', identityIds: [this.identity.id] },
      // Nodes keep a public IP: without one Azure requires a subnet (subnet_resource_id) or a
      // workspace-managed VNet, and this app has neither. Nothing listens on it: SSH is off
      // and no admin account exists, so the IP only carries the nodes' outbound traffic.
      nodePublicIpEnabled: true,
      sshPublicAccessEnabled: false,
      // Entra ID only: no local (key) authentication to the compute.
      localAuthEnabled: false,
      tags: props.tags,
    });
  }
}

/**
 * Seconds as the ISO 8601 duration Azure answers with (120 -> PT2M, 90 -> PT1M30S):
 * the cluster cannot be updated in place, so a form Azure rewrites would show as
 * a change and make Terraform re-create it on every deploy.
 */
export function isoDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`an idle time must be a whole number of seconds >= 1 (got ${seconds})`);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
}
