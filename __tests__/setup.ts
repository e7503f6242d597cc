import { Testing } from "cdktf";

// Registers cdktf's matchers (toHaveResourceWithProperties, ...) with jest's expect.
Testing.setupJest();
