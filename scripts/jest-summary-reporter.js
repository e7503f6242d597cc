// Prints one plain closing line, "Tests: N passed, N failed[, N skipped]", after jest's own summary,
// on the same stream as jest's summary (stderr), so CI logs end with a count any reader can take at face value.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stderr.write(
      `Tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`,
    );
  }
}
module.exports = SummaryReporter;
