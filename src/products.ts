/** The products this build serves, in the order their migrations apply. Each exports one ProductModule. */
import type { ProductModule } from './web/product-module.js';

export const products: readonly ProductModule[] = [];
