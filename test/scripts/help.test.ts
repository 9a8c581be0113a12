// `--help` is generated from each command's option table (scripts/help.ts):
// every flag a command parses is listed, with the default the command uses.
import { describe, expect, it } from 'vitest';
import { main } from '../../scripts/cli.ts';
import { loadCommand } from '../../scripts/command.ts';
import { commands } from '../../scripts/commands/index.ts';
import { commandHelp, optionsBlock, parseOptions, usageLine } from '../../scripts/help.ts';
import { TRAFFIC_DEFAULTS } from '../../scripts/traffic/run.ts';

async function helpOf(name: string): Promise<string> {
  const printed: string[] = [];
  expect(await main([...name.split(' '), '--help'], commands, (l) => printed.push(l))).toBe(0);
  return printed.join('\n');
}

describe('command help', () => {
  for (const entry of commands) {
    it(`${entry.name}: lists every option it parses, each default once, in the usage line too`, async () => {
      const cmd = await loadCommand(entry);
      const help = await helpOf(cmd.name);
      expect(help).toBe(commandHelp(cmd));
      expect(help.split('\n')[0]).toBe(`Usage: ${usageLine(cmd)}`);
      for (const [name, o] of Object.entries(cmd.options)) {
        expect(help).toMatch(new RegExp(`^ {2}--${name}\\b`, 'm'));
        if (o.default === undefined) continue;
        expect(help.match(new RegExp(`\\(default ${o.default.toString().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`, 'g'))?.length).toBeGreaterThanOrEqual(1);
        if (o.inUsage !== false) expect(help.split('\n')[0]).toContain(`--${name} ${o.default}`);
      }
      expect(help).not.toMatch(/[ \t]+$/m);
    });
  }

  it('parseArgs sees only the parsing fields, never a default it would apply', async () => {
    const train = await loadCommand(commands.find((c) => c.name === 'train')!);
    expect(parseOptions(train.options).folds).toEqual({ type: 'string' });
    const deploy = await loadCommand(commands.find((c) => c.name === 'deploy sagemaker')!);
    expect(parseOptions(deploy.options).alarm).toEqual({ type: 'string', multiple: true });
  });

  it('aligns descriptions, puts a long flag’s description on the next line and continues lines under it', () => {
    expect(
      optionsBlock({
        samples: { type: 'string', value: 'N', description: 'rows to send', default: 200 },
        'no-drift': { type: 'boolean', description: 'undrifted traffic\nthe checks should then pass' },
        target: { type: 'string', value: 'local|sagemaker|azure', description: 'where the model runs', default: 'local' },
      }),
    ).toBe(
      [
        'Options:',
        '  --samples N               rows to send (default 200)',
        '  --no-drift                undrifted traffic',
        '                            the checks should then pass',
        '  --target local|sagemaker|azure',
        '                            where the model runs (default local)',
      ].join('\n'),
    );
  });

  it('start and traffic show the traffic defaults they send', async () => {
    for (const name of ['start', 'traffic']) {
      const help = await helpOf(name);
      expect(help).toMatch(new RegExp(`^ {2}--samples N .*\\(default ${TRAFFIC_DEFAULTS.samples}\\)$`, 'm'));
      expect(help).toMatch(new RegExp(`^ {2}--seed N .*\\(default ${TRAFFIC_DEFAULTS.seed}\\)$`, 'm'));
    }
  });

  it('required options are bare in the usage line, positionals follow the name', async () => {
    expect((await helpOf('invoke')).split('\n')[0]).toContain(' --body JSON|@FILE ');
    expect((await helpOf('pipeline watch')).split('\n')[0]).toBe('Usage: rookery pipeline watch EXECUTION_ARN [--poll-seconds 5]');
  });
});
