/** Facts about the machine a result was measured on. */
import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem } from 'node:os';

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages when the run started; above the core count the machine was shared. */
  loadAverage: number[];
  commit: string | undefined;
  /** The working tree had uncommitted changes. */
  dirty: boolean | undefined;
}

export function machineFacts(): MachineFacts {
  const processors = cpus();
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  const status = git(['status', '--porcelain']);
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    freeMemoryGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg().map((value) => Number(value.toFixed(2))),
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: status === undefined ? undefined : status !== '',
  };
}
