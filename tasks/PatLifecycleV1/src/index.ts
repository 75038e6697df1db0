// The file the agent runs (task.json execution target, bundled to index.js).
// early.ts first: it registers secrets of the agent's settings before task-lib's start-up can log them.
import './early';
import { run } from './main';

void run();
