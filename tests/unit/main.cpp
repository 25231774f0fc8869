// Runs every registered CppUnit suite; prints a "N passed, N failed" line for the test driver.
#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include <iostream>

int main(int argc, char** argv) {
    CppUnit::TestResult result;
    CppUnit::TestResultCollector collector;
    result.addListener(&collector);
    CppUnit::BriefTestProgressListener progress;
    result.addListener(&progress);

    CppUnit::TestRunner runner;
    runner.addTest(CppUnit::TestFactoryRegistry::getRegistry().makeTest());
    // An optional argument names one suite or test to run, as CppUnit's test paths do.
    runner.run(result, argc > 1 ? argv[1] : "");

    CppUnit::CompilerOutputter(&collector, std::cerr).write();
    const int failed = collector.testFailuresTotal();
    const int total = collector.runTests();
    std::cout << "unit: " << (total - failed) << " passed, " << failed << " failed" << std::endl;
    return failed == 0 ? 0 : 1;
}
