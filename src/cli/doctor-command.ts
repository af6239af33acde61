// `gemwarden doctor`: prints a table of keys × models with a verdict each, and for every problem the
// explanation and the remedy. Exit 0 when every key can serve at least one model, 1 otherwise.
import pc from 'picocolors';
import { checkConfig, readConfigFile } from '../config/load-file.js';
import { runDoctor, type DoctorKey, type DoctorReport } from '../doctor/run-doctor.js';
import { checkOptions } from './process-helpers.js';
import {
  GATEWAY_DEFAULTS,
  gatewayConfigSchema,
  keysFromEnvironment,
  type CheckedGatewayConfig,
} from '../gateway/index.js';

export interface DoctorCliOptions {
  config?: string;
  json?: boolean;
  upstream?: string;
  model?: string[];
  generate?: boolean;
}

function modelsToCheck(options: DoctorCliOptions, config: CheckedGatewayConfig): string[] {
  if (options.model && options.model.length > 0) return [...new Set(options.model)];
  const fromFallbacks = Object.entries(config.fallbacks ?? {}).flatMap(([model, chain]) => [model, ...chain]);
  return fromFallbacks.length > 0 ? [...new Set(fromFallbacks)] : ['gemini-2.5-flash', 'gemini-2.5-pro'];
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

export function formatReport(report: DoctorReport, colour: boolean): string {
  const style = colour
    ? pc
    : {
        green: (t: string) => t,
        red: (t: string) => t,
        yellow: (t: string) => t,
        bold: (t: string) => t,
        dim: (t: string) => t,
      };
  const rows = report.keys.flatMap((key) =>
    Object.entries(key.models).map(([model, verdict]) => ({
      key: key.keyHint,
      project: key.project ?? '?',
      model,
      verdict,
    })),
  );
  const widths = {
    key: Math.max(3, ...rows.map((row) => row.key.length)),
    project: Math.max(7, ...rows.map((row) => row.project.length)),
    model: Math.max(5, ...rows.map((row) => row.model.length)),
  };
  const lines = [
    style.bold(`${pad('key', widths.key)}  ${pad('project', widths.project)}  ${pad('model', widths.model)}  result`),
  ];
  for (const row of rows) {
    const result = row.verdict.ok
      ? row.verdict.kind === 'ok'
        ? style.green(row.verdict.result)
        : style.yellow(row.verdict.result)
      : style.red(row.verdict.result);
    lines.push(
      `${pad(row.key, widths.key)}  ${pad(row.project, widths.project)}  ${pad(row.model, widths.model)}  ${result}`,
    );
  }
  const problems = new Map<string, { where: string[]; explanation: string; remedies: string[] }>();
  for (const row of rows) {
    if (row.verdict.kind === 'ok') continue;
    const id = `${row.verdict.result}\n${row.verdict.explanation}`;
    const entry = problems.get(id) ?? {
      where: [],
      explanation: row.verdict.explanation,
      remedies: row.verdict.remedies,
    };
    entry.where.push(`${row.key} ${row.model}`);
    problems.set(id, entry);
  }
  if (problems.size > 0) {
    lines.push('', style.bold('Problems and what to do:'));
    for (const [id, problem] of problems) {
      lines.push(
        '',
        `${style.bold(id.split('\n')[0]!)} ${style.dim(`(${problem.where.join(', ')})`)}`,
        `  ${problem.explanation}`,
      );
      for (const remedy of problem.remedies) lines.push(`  - ${remedy}`);
    }
  }
  lines.push(
    '',
    `${report.calls} API call${report.calls === 1 ? '' : 's'} made. ${report.ok ? style.green('Every key can serve at least one model.') : style.red('At least one key cannot serve any model.')}`,
  );
  return lines.join('\n');
}

export async function doctorCommand(options: DoctorCliOptions): Promise<number> {
  const checked = checkOptions('doctor', () =>
    checkConfig(
      gatewayConfigSchema,
      options.config ? readConfigFile(options.config) : {},
      options.config ?? 'defaults',
    ),
  );
  if ('exitCode' in checked) return checked.exitCode;
  const config = checked.value;
  const keys: DoctorKey[] = (
    config.keys && config.keys.length > 0 ? config.keys : keysFromEnvironment(process.env)
  ).map((key) =>
    typeof key === 'string' ? { key } : { key: key.key, ...(key.project ? { project: key.project } : {}) },
  );
  if (keys.length === 0) {
    process.stderr.write(
      'gemwarden doctor: no key to check: set GEMINI_API_KEY (or GEMINI_API_KEYS=k1,k2) or give --config with "keys".\n',
    );
    return 2;
  }
  const upstream = options.upstream ?? config.upstream ?? GATEWAY_DEFAULTS.upstream;
  const showProgress = !options.json && process.stderr.isTTY;
  const report = await runDoctor(
    { keys, models: modelsToCheck(options, config), upstream, generate: options.generate !== false },
    showProgress ? (line) => process.stderr.write(`${pc.dim(line)}\n`) : undefined,
  );
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${formatReport(report, Boolean(process.stdout.isTTY) && !process.env.NO_COLOR)}\n`);
  return report.ok ? 0 : 1;
}
