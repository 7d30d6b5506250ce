/** The shape of bench-results/<id>.json, written by e2e/bench/run.ts and read by the report. */
import type { BrowserName } from '../../../scripts/browsers/find.js';
import type {
  BackendsResult,
  CacheResult,
  ConcurrencyResult,
  MemoryResult,
  ModelKey,
  ModelManifest,
  PageInfo,
  PeersResult,
  PrecisionRatio,
  SustainedResult,
  TuneResult,
} from '../types.js';

export interface BrowserRun {
  name: BrowserName;
  via: string;
  version: string;
  flags: string[];
  env: Record<string, string>;
  headless: boolean;
  info?: PageInfo;
  durationS: number;
  /** Why it did not run at all. */
  skipped?: string;
  errors: string[];
  /** Page errors and console errors. */
  logs: string[];
  notes?: string[];
}

export interface CacheCell {
  browser: BrowserName;
  model: ModelKey;
  variant: string;
  bytes: number;
  mbitPerSecond: number;
  cold: CacheResult | null;
  warm: CacheResult | null;
  /** GET requests the throttled model server saw during each phase (warm must be 0). */
  downloads: { cold: number; warm: number };
}

type WithBrowser<T> = T & { browser: BrowserName };

export interface BenchResults {
  schema: 1;
  id: string;
  preset: 'quick' | 'full';
  command: string;
  startedAt: string;
  finishedAt: string;
  durationS: number;
  /** The matrix as run (see e2e/bench/plan.ts). */
  plan: unknown;
  machine: {
    platform: string;
    release: string;
    arch: string;
    cpuModel: string;
    cores: number;
    memGiB: number;
    node: string;
    /** 1/5/15-minute load averages: other work on the machine shows here. */
    loadavgStart: number[];
    loadavgEnd: number[];
  };
  versions: Record<string, string>;
  models: Partial<Record<ModelKey, ModelManifest>>;
  browsers: BrowserRun[];
  peers: Array<WithBrowser<PeersResult>>;
  /** int8 against f32, per peer, from runs interleaved in the same rounds. */
  precision: Array<WithBrowser<PrecisionRatio>>;
  concurrency: Array<WithBrowser<ConcurrencyResult>>;
  sustained: Array<WithBrowser<SustainedResult>>;
  backends: Array<WithBrowser<BackendsResult>>;
  memory: Array<WithBrowser<MemoryResult> & { batch: number }>;
  cache: CacheCell[];
  /** Autotune against the fastest correct configuration measured independently (optional: older runs lack it). */
  tune?: Array<WithBrowser<TuneResult>>;
  /** bench-results/cache.json from e2e/bench/cache.bench.ts, when that suite ran. */
  cacheBench?: CacheBench | { error: string };
}

/** What e2e/bench/cache.bench.ts writes (only the fields the report reads). */
export interface CacheBench {
  browser?: string;
  link?: string;
  timeToFirstResult?: Array<{ name: string; bytes: number; cold: { medianMs: number }; warm: { medianMs: number }; speedup: number }>;
  warmRead?: Array<{ name: string; bytes: number; cacheMedianMs: number; rawGetMedianMs: number; ratio: number }>;
}
