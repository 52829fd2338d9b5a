/**
 * The layer rules of ../shared/STYLE.md, checked by `npm run lint` (and so by `npm test`/CI):
 *   commands → config / measure / analyze / report / lab / ui → kb
 *   transport only from measure and lab; analyze and report are pure (no sockets, no clock sources).
 * analyze/ imports nothing from measure/, not even types: a measurement's observation types live below measure
 * (analyze/probe-events.ts, analyze/soak/events.ts) and measure fills them. Type-only exceptions that remain,
 * each a data contract handed over rather than a call back up the stack (no cost at run time):
 *   - analyze/ and report/ may name transport/'s info types (DialInfo, Phase);
 *   - report/ may name measure/'s result types (keepalive-tune's idle-discovery and verify-broker results);
 *   - config/ may name an analysis input type.
 * Value imports across those lines fail.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'kb-is-data',
      comment: 'kb/ is knowledge as data plus lookups: it imports nothing above it',
      severity: 'error',
      from: { path: '^src/kb/' },
      to: { path: '^src/(?!kb/)' },
    },
    {
      name: 'config-is-pure-input',
      comment: 'config/ validates input; it knows the kb, never a command, a measurement or a renderer',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/(commands|measure|analyze|report|lab|transport|ui)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'analyze-is-pure',
      comment: 'analyze/ is pure: results in, findings out',
      severity: 'error',
      from: { path: '^src/analyze/' },
      to: { path: '^src/(commands|measure|report|lab|transport|ui)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'analyze-knows-no-measurement',
      comment: 'observation types live in analyze/ (probe-events.ts, soak/events.ts); measure/ fills them',
      severity: 'error',
      from: { path: '^src/analyze/' },
      to: { path: '^src/(commands|measure|report|lab|ui)/' },
    },
    {
      name: 'report-builds-from-results',
      comment: 'report/ builds and renders the report model; it does not measure',
      severity: 'error',
      from: { path: '^src/report/' },
      to: { path: '^src/(commands|measure|lab|transport)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'transport-only-from-measure-and-lab',
      comment: 'transport/ is the only code that opens sockets; only measure/ and lab/ use it',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(measure|lab|transport)/' },
      to: { path: '^src/transport/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'transport-types-only-to-analyze-and-report',
      comment: 'commands never touch transport/, not even its types; analyze and report may name its info types',
      severity: 'error',
      from: { path: '^src/(commands|config|kb|ui)/' },
      to: { path: '^src/transport/' },
    },
    {
      name: 'measure-does-not-render',
      severity: 'error',
      from: { path: '^src/(measure|lab|transport)/' },
      to: { path: '^src/(commands|report|ui)/' },
    },
    {
      name: 'nothing-imports-commands',
      comment: 'commands are the top layer: only cli.ts and other commands use them',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli\\.ts|commands/)' },
      to: { path: '^src/commands/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
