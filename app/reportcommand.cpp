// `nestscope report RUN.json [--compare LATER.json] (--markdown F | --html F | --pdf F)`: the
// root-cause report of a stored or imported run, offline, from the same report model the
// workbench's Export Report uses (core/report).
#include "reportcommand.h"

#include "common/savefile.h"
#include "diagnosis/diagnosis.h"
#include "report/progress.h"
#include "report/report.h"
#include "report/reportpdf.h"
#include "results/runjson.h"
#include "topology/topologyjson.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

namespace nestscope {

namespace {

QTextStream &errStream()
{
    static QTextStream stream(stderr);
    return stream;
}

int fail(const QString &message, int code)
{
    errStream() << "nestscope report: " << terminalSafe(message) << "\n";
    errStream().flush();
    return code;
}

/// The run and, when the file carries one (`nestscope run --json` writes it), its diagnosis.
struct LoadedRun {
    Run run;
    std::optional<Diagnosis> diagnosis;
};

Result<LoadedRun> loadRun(const QString &path, const QString &what)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return Error { QStringLiteral("cannot read %1: %2").arg(what, f.errorString()), path };
    }
    const QByteArray data = f.readAll();
    auto run = runFromJson(data, path);
    if (!run) {
        return run.error();
    }
    LoadedRun loaded { std::move(run).value(), std::nullopt };
    const QJsonObject stored = QJsonDocument::fromJson(data).object().value(QStringLiteral("diagnosis")).toObject();
    if (!stored.isEmpty()) {
        if (auto d = diagnosisFromJson(stored)) {
            loaded.diagnosis = std::move(d).value();
        }
    }
    return loaded;
}

} // namespace

QString reportUsage()
{
    return QStringLiteral(
        "Usage: nestscope report RUN.json [--compare LATER.json] [--topology FILE] [--markdown FILE|-]\n"
        "         [--html FILE|-] [--pdf FILE]\n"
        "\n"
        "Writes the root-cause report of a run written by `nestscope run --json` (or saved from the\n"
        "workbench): a summary, the environment, the symptoms (matrix, runner against instances, what\n"
        "failed with its command and output), the ranked findings with their evidence, the fix, and\n"
        "with --compare the verification against a later run; an appendix lists every command.\n"
        "At least one output is needed; every output is checked before anything is read.\n"
        "Exit code: 0 written, 2 usage, a run that cannot be read or an output that cannot be written.\n"
        "\n"
        "Options:\n"
        "  --compare FILE     a later run (after the fix) on the same runner: cells fixed, broken, still\n"
        "                     failing and latency changes\n"
        "  --topology FILE    the runner's topology from `nestscope topology --json`, for a run that has\n"
        "                     no snapshot of its own (--no-topology): environment, figure and diagnosis\n"
        "  --markdown FILE|-  GitHub-flavoured Markdown (long outputs folded in <details>)\n"
        "  --html FILE|-      one self-contained HTML file: the topology as inline SVG coloured by the\n"
        "                     run, the charts, light and dark colour schemes, print styles\n"
        "  --pdf FILE         a paged PDF with the same content and figures\n"
        "  -h, --help         show this help\n");
}

int reportCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption compareOpt(QStringLiteral("compare"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption markdownOpt(QStringLiteral("markdown"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption htmlOpt(QStringLiteral("html"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption pdfOpt(QStringLiteral("pdf"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption topologyOpt(QStringLiteral("topology"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption helpOpt(QStringList { QStringLiteral("h"), QStringLiteral("help") });
    parser.addOptions({ compareOpt, markdownOpt, htmlOpt, pdfOpt, topologyOpt, helpOpt });
    if (!parser.parse(arguments)) {
        return fail(parser.errorText() + QStringLiteral("\n\n") + reportUsage(), 2);
    }
    if (parser.isSet(helpOpt)) {
        QTextStream(stdout) << reportUsage();
        return 0;
    }
    if (parser.positionalArguments().size() != 1) {
        return fail(QStringLiteral("say which run to report on: nestscope report RUN.json --html report.html\n\n")
                + reportUsage(),
            2);
    }
    if (!parser.isSet(markdownOpt) && !parser.isSet(htmlOpt) && !parser.isSet(pdfOpt)) {
        return fail(
            QStringLiteral("say what to write: --markdown FILE, --html FILE or --pdf FILE\n\n") + reportUsage(), 2);
    }
    if (parser.value(pdfOpt) == QLatin1String("-")) {
        return fail(QStringLiteral("--pdf wants a file: a PDF on a terminal helps nobody"), 2);
    }
    // Every output is checked before the runs are read and laid out: a mistyped folder costs a message.
    bool writable = true;
    for (const auto &[option, opt] : { std::pair { "--markdown", &markdownOpt }, std::pair { "--html", &htmlOpt },
             std::pair { "--pdf", &pdfOpt } }) {
        const QString path = parser.value(*opt);
        if (path.isEmpty()) {
            continue;
        }
        const QString target = path == QLatin1String("-") ? QStringLiteral("/dev/stdout") : path;
        if (const QString why = cannotWrite(target); !why.isEmpty()) {
            errStream() << "nestscope report: cannot write " << option << ' ' << terminalSafe(path) << ": " << why
                        << "\n";
            writable = false;
        }
    }
    if (!writable) {
        errStream().flush();
        return 2;
    }

    const QString runPath = parser.positionalArguments().constFirst();
    auto before = loadRun(runPath, QStringLiteral("the run"));
    if (!before) {
        return fail(before.error().toString(), 2);
    }
    std::optional<LoadedRun> later;
    if (parser.isSet(compareOpt)) {
        auto l = loadRun(parser.value(compareOpt), QStringLiteral("the later run (--compare)"));
        if (!l) {
            return fail(l.error().toString(), 2);
        }
        later = std::move(l).value();
    }

    if (parser.isSet(topologyOpt)) {
        // The given topology stands in for the run's own snapshot, as for `nestscope diagnose`.
        QFile f(parser.value(topologyOpt));
        if (!f.open(QIODevice::ReadOnly)) {
            return fail(
                QStringLiteral("%1: cannot read the topology: %2").arg(parser.value(topologyOpt), f.errorString()), 2);
        }
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &error);
        const auto topology = doc.isObject()
            ? topologyFromJson(doc.object())
            : Result<Topology>(
                Error { QStringLiteral("not a topology (JSON object): %1").arg(error.errorString()), QString() });
        if (!topology) {
            return fail(QStringLiteral("%1: %2 (write one with `nestscope topology --json FILE`)")
                            .arg(parser.value(topologyOpt), topology.error().toString()),
                2);
        }
        before.value().run.topologyJson = QJsonDocument(topologyToJson(*topology)).toJson(QJsonDocument::Compact);
        before.value().diagnosis.reset(); // diagnosed again with this topology
    }

    ReportInput input;
    input.run = &before->run;
    input.diagnosis = before->diagnosis ? &*before->diagnosis : nullptr;
    if (later) {
        input.later = &later->run;
        input.laterDiagnosis = later->diagnosis ? &*later->diagnosis : nullptr;
    }
    input.withFigure = parser.isSet(htmlOpt) || parser.isSet(pdfOpt);
    const Report report = buildReport(input);
    if (!report.environment.known) {
        errStream() << "nestscope report: note: " << terminalSafe(report.environment.unknownWhy)
                    << "; the report has no environment, figure or diagnosis\n";
    }

    if (report.verification) {
        for (const QString &caveat : report.verification->caveats) {
            errStream() << "nestscope report: note: " << terminalSafe(caveat) << "\n";
        }
    }

    bool written = true;
    const auto write = [&](const QCommandLineOption &opt, const QByteArray &bytes) {
        const QString path = parser.value(opt);
        const QString target = path == QLatin1String("-") ? QStringLiteral("/dev/stdout") : path;
        if (const QString why = writeWholeFile(target, bytes); !why.isEmpty()) {
            errStream() << "nestscope report: cannot write " << terminalSafe(path) << ": " << why << "\n";
            written = false;
        }
    };
    if (parser.isSet(markdownOpt)) {
        write(markdownOpt, reportToMarkdown(report));
    }
    if (parser.isSet(htmlOpt)) {
        write(htmlOpt, reportToHtml(report));
    }
    if (parser.isSet(pdfOpt)) {
        QString why;
        const QByteArray pdf = reportToPdf(report, &why);
        if (pdf.isEmpty()) {
            errStream() << "nestscope report: cannot make the PDF: " << why << "\n";
            written = false;
        } else {
            write(pdfOpt, pdf);
        }
    }
    errStream().flush();
    return written ? 0 : 2;
}

QByteArray runReport(const Plan &plan, const Run &run, const Diagnosis *diagnosis, RunReport format)
{
    ReportInput input;
    input.run = &run;
    input.plan = &plan;
    input.diagnosis = diagnosis;
    const Report report = buildReport(input);
    if (format == RunReport::Html) {
        return reportToHtml(report);
    }
    QString why;
    QByteArray pdf = reportToPdf(report, &why);
    if (pdf.isEmpty()) {
        errStream() << "nestscope run: cannot make the PDF: " << why << "\n";
        errStream().flush();
    }
    return pdf;
}

} // namespace nestscope
