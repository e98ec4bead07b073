// The report at scale (issue 12): the lab's recorded ipv6-only run stamped out to a run of 10,000
// samples (the runner and 238 instances, each also in the topology), then
//   html  buildReport() + reportToHtml()   (what `nestscope report RUN --html F` does)   target < 1 s
//   pdf   buildReport() + reportToPdf()    (`--pdf F`)                                  target < 3 s
// and, as the baseline in the same run, runToJson() of the same run: the run file every
// `nestscope run --json` writes, so the ratios say what a report costs next to saving the run.
// buildReport() includes the diagnosis and the Graphviz layout of the topology figure.
//   bench_report [--samples N] [--rounds R]

#include "report/report.h"
#include "report/reportpdf.h"
#include "results/runjson.h"
#include "topology/topologyjson.h"

#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QStringList>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace nestscope;

namespace {

[[noreturn]] void die(const QString &why)
{
    std::fprintf(stderr, "bench_report: %s\n", qPrintable(why));
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
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", "offscreen"); // fonts for the PDF, no window
    }
    QGuiApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int wantSamples = intArg(args, QStringLiteral("--samples"), 10000);
    const int rounds = std::max(1, intArg(args, QStringLiteral("--rounds"), 5));

    QFile f(QStringLiteral(NESTSCOPE_SOURCE_DIR "/tests/data/runs/scenarios/ipv6-only.json"));
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

    // The run: the runner's samples once, vm1's for as many instances as make up the samples; each
    // instance is in the topology too, so the figure has them all.
    Run run = *recorded;
    Topology big = *topo;
    big.instances.clear();
    run.samples.clear();
    run.targets = { QStringLiteral("runner") };
    QList<Sample> vmSamples;
    for (const Sample &s : recorded->samples) {
        if (s.target == QLatin1String("runner")) {
            run.samples << s;
        } else if (s.target == QLatin1String("vm1")) {
            vmSamples << s;
        }
    }
    for (int i = 0; run.samples.size() < wantSamples; ++i) {
        TopoInstance inst = *model;
        inst.name = QStringLiteral("vm%1").arg(i + 1, 4, 10, QLatin1Char('0'));
        big.instances << inst;
        run.targets << inst.name;
        for (Sample s : vmSamples) {
            s.target = inst.name;
            run.samples << s;
        }
    }
    run.topologyJson = QJsonDocument(topologyToJson(big)).toJson(QJsonDocument::Compact);

    std::vector<double> baseline;
    std::vector<double> build;
    std::vector<double> html;
    std::vector<double> pdf;
    qsizetype htmlBytes = 0;
    qsizetype pdfBytes = 0;
    QString top;
    QString method;
    for (int r = 0; r < rounds; ++r) {
        QElapsedTimer t;
        t.start();
        const QByteArray json = runToJson(run);
        baseline.push_back(t.nsecsElapsed() / 1e6);
        if (json.isEmpty()) {
            die(QStringLiteral("empty run file"));
        }

        t.restart();
        ReportInput input;
        input.run = &run;
        const Report report = buildReport(input);
        const double built = t.nsecsElapsed() / 1e6;
        build.push_back(built);
        t.restart();
        const QByteArray h = reportToHtml(report);
        html.push_back(built + t.nsecsElapsed() / 1e6);
        t.restart();
        QString error;
        const QByteArray p = reportToPdf(report, &error);
        pdf.push_back(built + t.nsecsElapsed() / 1e6);
        if (p.isEmpty()) {
            die(QStringLiteral("no PDF: %1").arg(error));
        }
        htmlBytes = h.size();
        pdfBytes = p.size();
        top = report.diagnosis && !report.diagnosis->findings.isEmpty() ? report.diagnosis->findings.first().id
                                                                        : QStringLiteral("(none)");
        method = report.layout.method;
    }
    const double b = median(baseline);
    const double m = median(build);
    const double h = median(html);
    const double p = median(pdf);
    std::printf("bench_report: %lld samples, %d targets, %d instances in the topology (layout %s), %d rounds\n",
        static_cast<long long>(run.samples.size()), int(run.targets.size()), int(big.instances.size()),
        qPrintable(method), rounds);
    std::printf("  baseline  runToJson (the run file)        %8.1f ms (median)\n", b);
    std::printf(
        "  model     buildReport (diagnosis, layout) %8.1f ms (median)   %.2fx the baseline\n", m, b > 0 ? m / b : 0.0);
    std::printf("  html      buildReport + reportToHtml      %8.1f ms (median)   %.2fx the baseline   target < 1 s: "
                "%s   (%lld bytes)\n",
        h, b > 0 ? h / b : 0.0, h < 1000.0 ? "met" : "NOT met", static_cast<long long>(htmlBytes));
    std::printf("  pdf       buildReport + reportToPdf       %8.1f ms (median)   %.2fx the baseline   target < 3 s: "
                "%s   (%lld bytes)\n",
        p, b > 0 ? p / b : 0.0, p < 3000.0 ? "met" : "NOT met", static_cast<long long>(pdfBytes));
    std::printf("  verdict: the top finding %s\n", qPrintable(top));
    return top.isEmpty() || top == QLatin1String("(none)") ? 1 : 0;
}
