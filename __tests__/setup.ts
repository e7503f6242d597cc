import { Testing } from "cdktf";
// Brings cdktf's jest matcher types (toHaveResourceWithProperties, ...) into the type-check for every test.
import type {} from "cdktf/lib/testing/adapters/jest";

// Registers cdktf's matchers with jest's expect at run time.
Testing.setupJest();
