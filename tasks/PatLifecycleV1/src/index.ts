// The file the agent runs (task.json execution target, bundled to index.js).
import { run } from './main';

void run();
