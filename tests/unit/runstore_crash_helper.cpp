// Writes numbered samples through a RunStore, one every few milliseconds, and reports on stdout
// what the store says is committed ("committed N"). tst_runstore kills it with SIGKILL mid-run.
//   runstore_crash_helper STORE_FILE [INTERVAL_MS]

#include "results/runstore.h"
#include "storetestdata.h"

#include <QCoreApplication>
#include <QTimer>

#include <cstdio>

using namespace nestscope;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    if (args.size() < 2) {
        std::fprintf(stderr, "usage: runstore_crash_helper STORE_FILE [INTERVAL_MS]\n");
        return 2;
    }
    RunStore store;
    const auto opened = store.open(args.at(1));
    if (!opened) {
        std::fprintf(stderr, "%s\n", qPrintable(opened.error().toString()));
        return 1;
    }
    RunHeader header;
    header.planName = QStringLiteral("crash test");
    header.probeIds = { QStringLiteral("probe-0") };
    header.targets = { QStringLiteral("runner"), QStringLiteral("vm1") };
    const auto run = store.beginRun(header);
    if (!run) {
        std::fprintf(stderr, "%s\n", qPrintable(run.error().toString()));
        return 1;
    }
    std::printf("run %lld\n", static_cast<long long>(*run));
    std::fflush(stdout);
    QObject::connect(&store, &RunStore::samplesCommitted, &store, [](qint64, int committed) {
        std::printf("committed %d\n", committed);
        std::fflush(stdout);
    });
    QObject::connect(&store, &RunStore::writeFailed, &store, [](qint64, const QString &message) {
        std::fprintf(stderr, "write failed: %s\n", qPrintable(message));
        QCoreApplication::exit(1);
    });
    int next = 0;
    QTimer timer;
    timer.setInterval(args.size() > 2 ? args.at(2).toInt() : 2);
    QObject::connect(&timer, &QTimer::timeout, &store, [&] {
        // Bursts of 1..4 like a plan with concurrency: several samples can land in one commit.
        for (int n = next % 4 + 1; n > 0; --n) {
            store.addSample(*run, testdata::numberedSample(next++));
        }
    });
    timer.start();
    return QCoreApplication::exec(); // runs until killed
}
