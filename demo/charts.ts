/**
 * The two charts, drawn with Chart.js: the playground's live throughput and
 * latency percentiles, and the engine panel's latency histogram. Each canvas
 * also gets a text summary (aria-label and a caption) for screen readers.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { histogram } from './charts-data.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, BarController, BarElement, CategoryScale, Legend, Tooltip);
Chart.defaults.font.family = 'system-ui, sans-serif';
Chart.defaults.color = '#3b4450';

export interface LivePoint {
  /** Seconds since the run started. */
  t: number;
  throughput: number;
  p50: number;
  p95: number;
}

export class LiveChart {
  private readonly chart: Chart<'line', Array<{ x: number; y: number }>>;

  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart(canvas, {
      type: 'line',
      data: {
        datasets: [
          { label: 'throughput (req/s)', data: [], yAxisID: 'rate', borderColor: '#2456c9', backgroundColor: '#2456c9', pointRadius: 2, tension: 0.2 },
          { label: 'p50 (ms)', data: [], yAxisID: 'ms', borderColor: '#1b8a5a', backgroundColor: '#1b8a5a', pointRadius: 2, tension: 0.2 },
          { label: 'p95 (ms)', data: [], yAxisID: 'ms', borderColor: '#c2410c', backgroundColor: '#c2410c', pointRadius: 2, borderDash: [5, 3], tension: 0.2 },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'seconds' }, min: 0 },
          rate: { type: 'linear', position: 'left', beginAtZero: true, title: { display: true, text: 'req/s' } },
          ms: { type: 'linear', position: 'right', beginAtZero: true, title: { display: true, text: 'ms' }, grid: { drawOnChartArea: false } },
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      },
    });
  }

  reset(): void {
    for (const d of this.chart.data.datasets) d.data = [];
    this.chart.update();
  }

  push(p: LivePoint): void {
    const [rate, p50, p95] = this.chart.data.datasets;
    rate.data.push({ x: p.t, y: p.throughput });
    p50.data.push({ x: p.t, y: p.p50 });
    p95.data.push({ x: p.t, y: p.p95 });
    this.chart.update();
  }
}

export class HistogramChart {
  private readonly chart: Chart<'bar', number[], string>;

  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart(canvas, {
      type: 'bar',
      data: { labels: [], datasets: [{ label: 'requests', data: [], backgroundColor: '#2456c9', barPercentage: 1, categoryPercentage: 0.95 }] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { title: { display: true, text: 'latency (ms), log bins' }, ticks: { maxRotation: 60, autoSkip: true } },
          y: { beginAtZero: true, title: { display: true, text: 'requests' }, ticks: { precision: 0 } },
        },
        plugins: { legend: { display: false } },
      },
    });
  }

  show(values: readonly number[]): void {
    const { labels, counts } = histogram(values);
    this.chart.data.labels = labels;
    this.chart.data.datasets[0].data = counts;
    this.chart.update();
  }
}
