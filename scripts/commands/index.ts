import type { Command } from '../command.ts';
import { azureDeployCommand } from './azure-deploy.ts';
import { sagemakerDeployCommand } from './deploy-sagemaker.ts';
import { invokeCommand } from './invoke.ts';
import { labelCommand } from './label.ts';
import { mlflowTunnelCommand } from './mlflow-tunnel.ts';
import { modelsListCommand, modelsShowCommand } from './models.ts';
import { modelsRegisterCommand } from './models-register.ts';
import { pipelineMonitorCommand } from './pipeline-monitor.ts';
import { pipelineRunCommand } from './pipeline-run.ts';
import { pipelineWatchCommand } from './pipeline-watch.ts';
import { monitorCommand } from './monitor.ts';
import { scoreCommand } from './score.ts';
import { serveCommand } from './serve.ts';
import { startCommand } from './start.ts';
import { trainCommand } from './train.ts';
import { trafficCommand } from './traffic.ts';

/** Every `rookery` subcommand, in the order `rookery --help` lists them. Add a command by adding its module here. */
export const commands: Command[] = [startCommand, trainCommand, serveCommand, invokeCommand, trafficCommand, scoreCommand, labelCommand, monitorCommand, modelsListCommand, modelsShowCommand, modelsRegisterCommand, azureDeployCommand, sagemakerDeployCommand, pipelineRunCommand, pipelineWatchCommand, pipelineMonitorCommand, mlflowTunnelCommand];
