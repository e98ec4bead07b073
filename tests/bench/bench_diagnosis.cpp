// The diagnosis at scale (issue 11): the lab's recorded forward-drop run, stamped out to a run of
// 10,000 samples (the runner and 400 instances) on a topology of 2,000 instances, then
//   diagnose   diagnose(topology, run)                       target < 100 ms
// and, as the baseline in the same run, Matrix::fromRun() of the same samples (what the matrix
// view computes for the same run), so the ratio says what the verdict adds to reading a run.
//   bench_diagnosis [--samples N] [--instances M] [--rounds R]

#include "diagnosis/diagnosis.h"
#include "results/matrix.h"
#include "results/runjson.h"
#include "topology/topologyjson.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QStringList>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace nestscope;

namespace {

[[noreturn]] void die(const QString &why)
{
    std::fprintf(stderr, "bench_diagnosis: %s\n", qPrintable(why));
    std::exit(2);
}

int intArg(const QStringList &args, const QString &name, int fallback)
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.at(i + 1).toInt() : fallback;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v.at(v.size() / 2);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int wantSamples = intArg(args, QStringLiteral("--samples"), 10000);
    const int wantInstances = intArg(args, QStringLiteral("--instances"), 2000);
    const int rounds = std::max(1, intArg(args, QStringLiteral("--rounds"), 7));

    QFile f(QStringLiteral(NESTSCOPE_SOURCE_DIR "/tests/data/runs/scenarios/forward-drop.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        die(QStringLiteral("cannot read %1").arg(f.fileName()));
    }
    const auto recorded = runFromJson(f.readAll(), f.fileName());
    if (!recorded) {
        die(recorded.error().toString());
    }
    const auto topo = topologyFromJson(QJsonDocument::fromJson(recorded->topologyJson).object());
    if (!topo) {
        die(topo.error().toString());
    }
    const TopoInstance *model = topo->instance(QStringLiteral("vm1"));
    if (!model) {
        die(QStringLiteral("the recording has no vm1"));
    }

    // The topology: vm1 stamped out to the wanted number of instances, each with its own address.
    Topology big = *topo;
    big.instances.clear();
    for (int i = 0; i < wantInstances; ++i) {
        TopoInstance inst = *model;
        inst.name = QStringLiteral("vm%1").arg(i + 1, 4, 10, QLatin1Char('0'));
        for (TopoNic &nic : inst.nics) {
            for (TopoAddress &a : nic.addresses) {
                if (a.family == TopoAddress::Family::IPv4 && a.isGlobal()) {
                    a.address = QStringLiteral("10.77.%1.%2").arg(10 + i / 250).arg(2 + i % 250);
                }
            }
        }
        big.instances << inst;
    }

    // The run: the runner's samples once, vm1's for as many instances as make up the samples.
    Run run = *recorded;
    run.samples.clear();
    run.targets = { QStringLiteral("runner") };
    QList<Sample> runnerSamples;
    QList<Sample> vmSamples;
    for (const Sample &s : recorded->samples) {
        if (s.target == QLatin1String("runner")) {
            runnerSamples << s;
        } else if (s.target == QLatin1String("vm1")) {
            vmSamples << s;
        }
    }
    run.samples = runnerSamples;
    for (int i = 0; run.samples.size() < wantSamples && i < wantInstances; ++i) {
        const QString name = big.instances.at(i).name;
        run.targets << name;
        for (Sample s : vmSamples) {
            s.target = name;
            run.samples << s;
        }
    }
    run.topologyJson.clear();

    std::vector<double> diag;
    std::vector<double> matrix;
    int findings = 0;
    QString top;
    for (int r = 0; r < rounds; ++r) {
        QElapsedTimer t;
        t.start();
        const Matrix m = Matrix::fromRun(run);
        matrix.push_back(t.nsecsElapsed() / 1e6);
        if (m.rowCount() == 0) {
            die(QStringLiteral("empty matrix"));
        }
        t.restart();
        const Diagnosis d = diagnose(big, run);
        diag.push_back(t.nsecsElapsed() / 1e6);
        findings = int(d.findings.size());
        top = d.findings.isEmpty() ? QStringLiteral("(none)") : d.findings.first().id;
    }
    const double dMs = median(diag);
    const double mMs = median(matrix);
    std::printf("bench_diagnosis: %lld samples, %d targets, %d instances in the topology, %d rounds\n",
        static_cast<long long>(run.samples.size()), int(run.targets.size()), int(big.instances.size()), rounds);
    std::printf("  baseline  Matrix::fromRun          %8.1f ms (median)\n", mMs);
    std::printf("  diagnose  diagnose(topology, run)  %8.1f ms (median)   %.2fx the baseline   target < 100 ms: %s\n",
        dMs, mMs > 0 ? dMs / mMs : 0.0, dMs < 100.0 ? "met" : "NOT met");
    std::printf("  verdict: %d findings, the top one %s\n", findings, qPrintable(top));
    return top == QLatin1String("firewall-forward-drop") ? 0 : 1;
}
