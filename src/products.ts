/** The products this build serves, in the order their migrations apply. Each exports one ProductModule. */
import { chatModule } from './chat/index.js';
import { tipsModule } from './tips/index.js';
import { villageModule } from './village/index.js';
import type { ProductModule } from './web/product-module.js';

export const products: readonly ProductModule[] = [villageModule, chatModule, tipsModule];
