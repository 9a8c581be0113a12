import type { Command } from '../command.ts';
import { azureDeployCommand } from './azure-deploy.ts';
import { modelsListCommand, modelsShowCommand } from './models.ts';
import { serveCommand } from './serve.ts';
import { trainCommand } from './train.ts';

/** Every `rookery` subcommand, in the order `rookery --help` lists them. Add a command by adding its module here. */
export const commands: Command[] = [trainCommand, serveCommand, modelsListCommand, modelsShowCommand, azureDeployCommand];
