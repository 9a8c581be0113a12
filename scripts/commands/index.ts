import type { Command } from '../command.ts';
import { azureDeployCommand } from './azure-deploy.ts';
import { invokeCommand } from './invoke.ts';
import { labelCommand } from './label.ts';
import { mlflowTunnelCommand } from './mlflow-tunnel.ts';
import { modelsListCommand, modelsShowCommand } from './models.ts';
import { monitorCommand } from './monitor.ts';
import { serveCommand } from './serve.ts';
import { startCommand } from './start.ts';
import { trafficCommand } from './traffic.ts';
import { trainCommand } from './train.ts';

/** Every `rookery` subcommand, in the order `rookery --help` lists them. Add a command by adding its module here. */
export const commands: Command[] = [startCommand, trainCommand, serveCommand, invokeCommand, trafficCommand, labelCommand, monitorCommand, modelsListCommand, modelsShowCommand, azureDeployCommand, mlflowTunnelCommand];
