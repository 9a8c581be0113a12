import type { Command, LazyCommand } from '../command.ts';

const lazy = (name: string, load: () => Promise<Command>): LazyCommand => ({ name, load });

/**
 * Every `rookery` subcommand, in the order `rookery --help` lists them. Add a command by adding its module here.
 * Each module is imported only when its command runs or shows its help (see LazyCommand).
 */
export const commands: LazyCommand[] = [
  lazy('start', async () => (await import('./start.ts')).startCommand),
  lazy('train', async () => (await import('./train.ts')).trainCommand),
  lazy('serve', async () => (await import('./serve.ts')).serveCommand),
  lazy('invoke', async () => (await import('./invoke.ts')).invokeCommand),
  lazy('traffic', async () => (await import('./traffic.ts')).trafficCommand),
  lazy('score', async () => (await import('./score.ts')).scoreCommand),
  lazy('label', async () => (await import('./label.ts')).labelCommand),
  lazy('monitor', async () => (await import('./monitor.ts')).monitorCommand),
  lazy('models list', async () => (await import('./models.ts')).modelsListCommand),
  lazy('models show', async () => (await import('./models.ts')).modelsShowCommand),
  lazy('models register', async () => (await import('./models-register.ts')).modelsRegisterCommand),
  lazy('deploy azure', async () => (await import('./azure-deploy.ts')).azureDeployCommand),
  lazy('deploy sagemaker', async () => (await import('./deploy-sagemaker.ts')).sagemakerDeployCommand),
  lazy('pipeline run', async () => (await import('./pipeline-run.ts')).pipelineRunCommand),
  lazy('pipeline watch', async () => (await import('./pipeline-watch.ts')).pipelineWatchCommand),
  lazy('pipeline monitor', async () => (await import('./pipeline-monitor.ts')).pipelineMonitorCommand),
  lazy('mlflow tunnel', async () => (await import('./mlflow-tunnel.ts')).mlflowTunnelCommand),
];
