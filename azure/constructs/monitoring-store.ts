/**
 * Where the Azure monitoring loop keeps its data: private blob containers in
 * the workspace's storage account for captured traffic, ground truth and
 * monitoring reports, one container per writer so every role can be on one
 * container. The deployer (whoever runs `cdktf deploy`, who also runs
 * `rookery label` and `rookery monitor` with `az login`) reads the captures
 * and reports and writes ground truth; an Owner has no blob data access
 * without these.
 */
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment/index.js';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container/index.js';
import type { Construct } from 'constructs';
import { CAPTURE_CONTAINER, GROUND_TRUTH_CONTAINER, REPORT_CONTAINER } from '../../cloud/azure-ml.ts';
import { FlatConstruct } from './flat.ts';

export interface MonitoringStoreProps {
  readonly storageAccountId: string;
  /** Whoever runs the deploy: reads captures and reports, writes ground truth. */
  readonly deployerObjectId: string;
}

export class MonitoringStore extends FlatConstruct {
  readonly captures: StorageContainer;
  readonly groundTruth: StorageContainer;
  readonly reports: StorageContainer;

  constructor(scope: Construct, id: string, props: MonitoringStoreProps) {
    super(scope, id);
    const container = (tfId: string, name: string) =>
      new StorageContainer(this, tfId, { name, storageAccountId: props.storageAccountId, containerAccessType: 'private' });
    this.captures = container('capture_container', CAPTURE_CONTAINER);
    this.groundTruth = container('ground_truth_container', GROUND_TRUTH_CONTAINER);
    this.reports = container('report_container', REPORT_CONTAINER);
    const grant = (tfId: string, scope: StorageContainer, roleDefinitionName: string) =>
      new RoleAssignment(this, tfId, { scope: scope.resourceManagerId, roleDefinitionName, principalId: props.deployerObjectId });
    grant('deployer_capture_reader', this.captures, 'Storage Blob Data Reader');
    grant('deployer_ground_truth_writer', this.groundTruth, 'Storage Blob Data Contributor');
    grant('deployer_report_reader', this.reports, 'Storage Blob Data Reader');
  }
}
