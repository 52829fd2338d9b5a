/** setupFiles of the `serial` project: see priority.ts. */
import { raisePriority, SERIAL_NICE } from './priority.js';

raisePriority(SERIAL_NICE);
