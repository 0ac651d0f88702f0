// The one way pages draw charts: an attachment that creates the Chart.js instance on its
// canvas, updates it from an $effect when the config changes, and destroys it on removal.
import type { Attachment } from 'svelte/attachments';
import { untrack } from 'svelte';
import Chart from 'chart.js/auto';
import type { ChartConfiguration } from 'chart.js';

export function chart(config: () => ChartConfiguration): Attachment<HTMLCanvasElement> {
  return (canvas) => {
    const instance = new Chart(canvas, untrack(config));
    $effect(() => {
      const next = config();
      instance.data = next.data;
      if (next.options) instance.options = next.options;
      instance.update();
    });
    return () => instance.destroy();
  };
}
