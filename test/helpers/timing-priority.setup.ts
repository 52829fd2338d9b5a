/** setupFiles of the `serial` and `alone` projects: see priority.ts. */
import { raisePriority } from './priority.js';

raisePriority();
