export { recommend, retransmissionsFor, idleMarginS, bytesPerPing } from './recommend.js';
export { checkFieldGuides, FIELD_TABLE } from './field-guide.js';
export type * from './types.js';
