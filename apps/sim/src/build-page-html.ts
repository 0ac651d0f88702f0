/**
 * The HTML build page `/build/{id}` and step page `/build/{id}/step/{nr}` as the simulated
 * Hydra serves them, in the structure of Hydra's templates (layout.tt, build.tt,
 * build-common.tt / common.tt, build-step.tt): the collector parses these, so they carry the
 * traps of the real page (other step tables with the same classes, log links before the
 * propagated link, entities, template whitespace). Self-contained: imports nothing.
 */

/** What Hydra shows for a finished, not-succeeded step (renderStepStatus). */
export type StepStatusText =
  | 'Failed'
  | 'Aborted'
  | 'Cancelled'
  | 'Timed out'
  | 'Cached failure'
  | 'Unsupported system type'
  | 'Log limit exceeded'
  | 'Output limit exceeded'
  | 'Non-determinism detected';

export interface BuildPageBuild {
  id: number;
  job: string;
  project: string;
  jobset: string;
  system: string;
  buildstatus: number | null;
  finished: boolean | 0 | 1;
  drvpath: string;
  outputs: string[];
}

export interface BuildPageStep {
  nr: number;
  /** Output store paths of the step's derivation (the Step cell shows these, not the drv). */
  outputs: string[];
  status: StepStatusText;
  /** The build where the failing dependency was built. */
  propagatedFrom: number | null;
  /** Hydra's errormsg, shown after the status ("Failed: <em>…</em>"). */
  errorMsg?: string;
  /** Whether Hydra has the step's log; default true (a cached failure links the original log too). */
  hasLog?: boolean;
  /** Default 'build'; a substitution renders as "Substitution of". */
  kind?: 'build' | 'substitution';
  /** Seconds; absent renders as n/a. */
  duration?: number;
  machine?: string;
}

/** A step still marked busy (Hydra lists it under "Running build steps", even on a finished build). */
export interface RunningStep {
  nr: number;
  outputs: string[];
  machine?: string;
}

export interface BuildPageOptions {
  /** Origin (and optional prefix) every href starts with: Hydra writes absolute URLs. */
  baseUrl: string;
  /** 'new': Step column, step pages, `/step/{nr}/log`; 'old': What column, `/nixlog/{nr}`. */
  style: 'new' | 'old';
  /** Rendered under "Running build steps" before the failed table and in the Build Steps tab. */
  runningSteps?: RunningStep[];
}

export interface StepPageStep extends BuildPageStep {
  drvpath: string;
  system?: string;
}

function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Hydra's c.uri_for: the base plus escaped path segments. */
function urlFor(baseUrl: string, ...segments: (string | number)[]): string {
  return `${baseUrl.replace(/\/+$/, '')}/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
}

const BUILD_STATUS: Record<number, { icon: string; title: string; text: string }> = {
  0: { icon: 'emojione-check-2714.svg', title: 'Succeeded', text: '<strong>Success</strong>' },
  1: { icon: 'emojione-red-x-274c.svg', title: 'Failed', text: '<span class="error">Build returned a non-zero exit code</span>' },
  2: { icon: 'emojione-gray-x-2716.svg', title: 'Dependency failed', text: '<span class="error">A dependency of the build failed</span>' },
  3: { icon: 'emojione-stopsign-1f6d1.svg', title: 'Aborted', text: '<span class="error">Aborted</span>' },
  4: { icon: 'emojione-stopsign-1f6d1.svg', title: 'Cancelled', text: '<span class="error">Cancelled by user</span>' },
  6: { icon: 'emojione-red-x-274c.svg', title: 'Failed with output', text: '<span class="error">Build failed with output</span>' },
  7: { icon: 'emojione-stopsign-1f6d1.svg', title: 'Timed out', text: '<span class="error">Timed out</span>' },
  9: { icon: 'emojione-stopsign-1f6d1.svg', title: 'Aborted', text: '<span class="error">Unsupported system type</span>' },
  10: { icon: 'emojione-stopsign-1f6d1.svg', title: 'Log limit exceeded', text: '<span class="error">Log limit exceeded</span>' },
  11: { icon: 'emojione-red-x-274c.svg', title: 'Output size limit exceeded', text: '<span class="error">Output limit exceeded</span>' },
  12: { icon: 'emojione-red-x-274c.svg', title: 'Non-deterministic build', text: '<span class="error">Non-deterministic build</span>' },
};

function buildStatus(build: BuildPageBuild) {
  if (!build.finished || build.buildstatus === null) {
    return { icon: 'emojione-question-2754.svg', title: 'Queued', text: '<strong>Scheduled to be built</strong>' };
  }
  return BUILD_STATUS[build.buildstatus] ?? { icon: 'emojione-red-x-274c.svg', title: 'Failed', text: '<span class="error">Aborted</span>' };
}

// Hydra's renderDuration: "1h&nbsp;2m&nbsp;3s".
function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '<em>n/a</em>';
  const s = Math.max(0, Math.floor(seconds));
  let out = '';
  if (s >= 86400) out += `${Math.floor(s / 86400)}d&nbsp;`;
  if (s >= 3600) out += `${Math.floor(s / 3600) % 24}h&nbsp;`;
  if (s >= 60) out += `${Math.floor(s / 60) % 60}m&nbsp;`;
  return `${out}${s % 60}s`;
}

// Hydra's renderOutputs: the paths joined by ",<br/>", with the template's line breaks.
function outputsHtml(outputs: string[]): string {
  return outputs.map((p, i) => `\n    ${i ? ',<br/>' : ''}${esc(p)}\n  `).join('') + '\n';
}

function jobName(b: BuildPageBuild): string {
  return `${b.project}:${b.jobset}:${b.job}`;
}

function linkToJob(b: BuildPageBuild, base: string): string {
  return (
    `<a href="${esc(urlFor(base, 'project', b.project))}">${esc(b.project)}</a>` +
    `:<a href="${esc(urlFor(base, 'jobset', b.project, b.jobset))}">${esc(b.jobset)}</a>` +
    `:<a href="${esc(urlFor(base, 'job', b.project, b.jobset, b.job))}">${esc(b.job)}</a>`
  );
}

function buildIdLink(base: string, id: number): string {
  return `\n<a href="${esc(urlFor(base, 'build', id))}">build ${id}</a>\n`;
}

// Machine names only for statuses where a machine ran the step (renderStepMachine).
const RAN_ON_MACHINE = new Set<StepStatusText>(['Failed', 'Aborted', 'Cancelled', 'Timed out']);

function stepStatusHtml(step: BuildPageStep): string {
  const msg = step.errorMsg ? `: <em>${esc(step.errorMsg)}</em>` : '';
  return `\n    <span class="error">${esc(step.status)}</span>${step.status === 'Failed' || step.status === 'Aborted' ? msg : ''}\n  `;
}

function logLinks(url: string, inRow: boolean): string {
  return `(<a ${inRow ? 'class="row-link"' : ''} href="${esc(url)}">log</a>, <a href="${esc(`${url}/raw`)}">raw</a>, <a href="${esc(`${url}/tail`)}">tail</a>)\n`;
}

type TableRow = { kind: 'failed'; step: BuildPageStep } | { kind: 'running'; step: RunningStep };

function stepsTable(build: BuildPageBuild, rows: TableRow[], opts: BuildPageOptions): string {
  const base = opts.baseUrl;
  const header = opts.style === 'new' ? 'Step' : 'What';
  const body = rows.map(({ kind, step }) => {
    const logUrl = opts.style === 'new' ? urlFor(base, 'build', build.id, 'step', step.nr, 'log') : urlFor(base, 'build', build.id, 'nixlog', step.nr);
    const nrCell = opts.style === 'new' ? `<a class="row-link" href="${esc(urlFor(base, 'build', build.id, 'step', step.nr))}">${step.nr}</a>` : String(step.nr);
    const what = kind === 'failed' && step.kind === 'substitution' ? 'Substitution of' : 'Build of';
    let durationCell: string, machineCell: string, statusCell: string;
    if (kind === 'running') {
      durationCell = duration(undefined);
      machineCell = `\n  ${esc(step.machine ?? 'localhost')}`;
      statusCell = `\n    <strong>Building</strong>\n               ${logLinks(logUrl, opts.style === 'old')}\n              \n            `;
    } else {
      durationCell = duration(step.duration);
      machineCell = step.machine && RAN_ON_MACHINE.has(step.status) ? `\n  ${esc(step.machine)}` : '<em>n/a</em>';
      const log = step.hasLog === false ? '' : ` ${logLinks(logUrl, opts.style === 'old')}`;
      const prop = step.propagatedFrom !== null ? `(propagated from ${buildIdLink(base, step.propagatedFrom)})` : '';
      statusCell = `\n  ${stepStatusHtml(step)}\n\n              ${log}\n              ${prop}\n            `;
    }
    return `          <tr>
            <td>${nrCell}</td>
            <td>
                ${what} <tt>${outputsHtml(step.outputs)}</tt>
            </td>
            <td>${durationCell}</td>
            <td>${machineCell}</td>
            <td class="step-status">${statusCell}</td>
          </tr>`;
  });
  return `  <table class="table table-striped table-condensed clickable-rows">
    <thead>
      <tr><th>Nr</th><th>${header}</th><th>Duration</th><th>Machine</th><th>Status</th></tr>
    </thead>
    <tbody>
${body.join('\n')}
    </tbody>
  </table>`;
}

function layout(title: string, titleHtml: string, content: string, base: string): string {
  return `<!DOCTYPE html>

<html lang="en">

  <head>
    <title>Hydra - ${esc(title)}</title>

    <meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
    <meta http-equiv="X-UA-Compatible" content="IE=Edge" />
    <link rel="stylesheet" href="${esc(urlFor(base, 'static', 'css', 'hydra.css'))}" type="text/css" />
  </head>

  <body>

    <nav class="navbar navbar-expand-md navbar-light bg-light">
      <div class="container">
        <a class="navbar-brand" href="${esc(urlFor(base, ''))}">
            Hydra
        </a>
        <div class="collapse navbar-collapse" id="navbarSupportedContent">
<ul class="navbar-nav mr-auto">
  <li class="nav-item dropdown" >
    <a class="nav-link dropdown-toggle" href="#" data-toggle="dropdown">Status<b class="caret"></b></a>
    <div class="dropdown-menu">
      <a class="dropdown-item" href="${esc(urlFor(base, 'status'))}">Running builds</a>
      <a class="dropdown-item" href="${esc(urlFor(base, 'steps'))}">Latest steps</a>
    </div>
  </li>
</ul>
        </div>
      </div>
    </nav>

    <div class="container">
      <div class="skip-topbar"></div>

        <div class="page-header">
          ${titleHtml}
        </div>

${content}

      <footer class="navbar">
        <hr />
        <small>
          <em><a href="http://nixos.org/hydra" target="_blank" class="squiggle">Hydra</a> (simulated).</em>
        </small>
      </footer>

    </div>

  </body>

</html>
`;
}

function nixName(drvpath: string): string {
  return drvpath.replace(/^.*\/[^-/]*-/, '').replace(/\.drv$/, '');
}

function outputName(path: string, index: number): string {
  // Nixpkgs names extra outputs by suffix (…-dev, …-bin); the first one is `out` unless suffixed.
  const m = /-(bin|dev|lib|out|man|doc|info|debug|static|devdoc|py)$/.exec(path);
  return m ? m[1]! : index === 0 ? 'out' : `out${index}`;
}

function outputsTable(outputs: string[]): string {
  const rows = outputs.map((p, i) => `      <tr>\n        <th><tt>${esc(outputName(p, i))}</tt></th>\n        <td><tt>${esc(p)}</tt></td>\n      </tr>`);
  return `\n  <table class="info-table">\n${rows.join('\n')}\n  </table>\n`;
}

/**
 * `/build/{id}` as Hydra renders it: navbar, tabs, the summary (status, then "Running build
 * steps" when given, then "Failed build steps" for a finished, failed build), the details
 * tab and the Build Steps tab listing every step with the same table classes.
 */
export function renderBuildPageHtml(build: BuildPageBuild, failedSteps: BuildPageStep[], opts: BuildPageOptions): string {
  const base = opts.baseUrl;
  const st = buildStatus(build);
  const running = opts.runningSteps ?? [];
  const allRows: TableRow[] = [
    ...failedSteps.map((step): TableRow => ({ kind: 'failed', step })),
    ...running.map((step): TableRow => ({ kind: 'running', step })),
  ].sort((a, b) => a.step.nr - b.step.nr);
  const hasSteps = allRows.length > 0;
  // build.tt shows the failed table unless the build succeeded, was cancelled or failed with output.
  const showFailed = Boolean(build.finished) && failedSteps.length > 0 && ![0, 4, 6].includes(build.buildstatus ?? -1);

  let summary = `    <table>
      <tr>
        <td>
      <img src="${esc(urlFor(base, 'static', 'images', st.icon))}" height="128" width="128" title="${esc(st.title)}" alt="${esc(st.title)}" class="build-status" />
        </td>
        <td>
          <table class="info-table">
            <tr>
              <th>Build ID:</th>
              <td>${build.id}</td>
            </tr>
            <tr>
              <th>Status:</th>
              <td>
      ${st.text}
              </td>
            </tr>
            <tr>
              <th>System:</th>
              <td><tt>${esc(build.system)}</tt></td>
            </tr>
              <tr>
                <th>Nix name:</th>
                <td><tt>${esc(nixName(build.drvpath))}</tt></td>
              </tr>
          </table>
        </td>
      </tr>
    </table>
`;
  if (running.length) {
    summary += `\n      <h3>Running build steps</h3>\n${stepsTable(build, running.map((step) => ({ kind: 'running', step })), opts)}\n`;
  }
  if (showFailed) {
    summary += `\n        <h3>Failed build steps</h3>\n${stepsTable(build, failedSteps.map((step) => ({ kind: 'failed', step })), opts)}\n`;
  }

  const content = `<ul class="nav nav-tabs">
  <li class="nav-item"><a class="nav-link active" href="#tabs-summary" data-toggle="tab">Summary</a></li>
  <li class="nav-item"><a class="nav-link" href="#tabs-details" data-toggle="tab">Details</a></li>
  <li class="nav-item"><a class="nav-link" href="#tabs-buildinputs" data-toggle="tab">Inputs</a></li>
${hasSteps ? '  <li class="nav-item"><a class="nav-link" href="#tabs-buildsteps" data-toggle="tab">Build Steps</a></li>\n' : ''}</ul>

<div id="generic-tabs" class="tab-content">

  <div id="tabs-summary" class="tab-pane active">

${summary}
  </div>

  <div id="tabs-details" class="tab-pane">

    <table class="info-table">
      <tr>
        <th>System:</th>
        <td><tt>${esc(build.system)}</tt></td>
      </tr>
      <tr>
        <th>Derivation store path:</th>
        <td><tt>${esc(build.drvpath)}</tt></td>
      </tr>
      <tr>
        <th>Output store paths:</th>
        <td>${outputsTable(build.outputs)}</td>
      </tr>
    </table>

  </div>

  <div id="tabs-buildinputs" class="tab-pane">
  </div>
${hasSteps ? `\n    <div id="tabs-buildsteps" class="tab-pane">\n${stepsTable(build, allRows, opts)}\n    </div>\n` : ''}
</div>`;

  const title = `Build ${build.id} of job ${jobName(build)}`;
  return layout(title, `Build ${build.id} of job ${linkToJob(build, base)}`, content, base);
}

/** `/build/{id}/step/{nr}` (newer Hydra only): the step's derivation, outputs and status. */
export function renderStepPageHtml(build: BuildPageBuild, step: StepPageStep, opts: { baseUrl: string }): string {
  const base = opts.baseUrl;
  const logUrl = urlFor(base, 'build', build.id, 'step', step.nr, 'log');
  const machine = step.machine && RAN_ON_MACHINE.has(step.status) ? esc(step.machine) : '<em>n/a</em>';
  const prop = step.propagatedFrom !== null ? `\n        (propagated from ${buildIdLink(base, step.propagatedFrom)})\n` : '';
  const logRow =
    step.hasLog === false
      ? ''
      : `
    <tr>
      <th>Logfile:</th>
      <td>
<a class="btn btn-secondary btn-sm" href="${esc(logUrl)}">pretty</a>
<a class="btn btn-secondary btn-sm" href="${esc(`${logUrl}/raw`)}">raw</a>
<a class="btn btn-secondary btn-sm" href="${esc(`${logUrl}/tail`)}">tail</a>
</td>
    </tr>`;
  const content = `<table class="info-table">
  <tr>
    <th>Type:</th>
    <td>${step.kind === 'substitution' ? 'Substitution' : 'Build'}</td>
  </tr>
  <tr>
    <th>Derivation:</th>
    <td><tt>${esc(step.drvpath)}</tt></td>
  </tr>
${step.system ? `    <tr>\n      <th>System:</th>\n      <td><tt>${esc(step.system)}</tt></td>\n    </tr>\n` : ''}    <tr>
      <th>Output store paths:</th>
      <td>${outputsTable(step.outputs)}</td>
    </tr>
    <tr>
      <th>Machine:</th>
      <td>
    ${machine}
</td>
    </tr>
    <tr>
      <th>Duration:</th>
      <td>${duration(step.duration)}</td>
    </tr>
  <tr>
    <th>Status:</th>
    <td>
  ${stepStatusHtml(step)}${prop}
    </td>
  </tr>${logRow}
</table>`;
  const buildUrl = urlFor(base, 'build', build.id);
  const title = `Step ${step.nr} of build ${build.id} of job ${jobName(build)}`;
  return layout(title, `Step ${step.nr} of <a href="${esc(buildUrl)}">build ${build.id}</a> of job ${linkToJob(build, base)}`, content, base);
}
