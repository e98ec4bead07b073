#include "cli.h"
#include "mainwindow.h"
#include "results/runstore.h"

#include <QApplication>
#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

namespace {

bool haveDisplay()
{
    const QByteArray platform = qgetenv("QT_QPA_PLATFORM");
    if (!platform.isEmpty()) {
        return true; // the user chose a platform (offscreen, vnc, ...): trust it
    }
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
}

void setIdentity()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Nestscope"));
    QCoreApplication::setApplicationName(QStringLiteral("nestscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(NESTSCOPE_VERSION));
}

} // namespace

int main(int argc, char *argv[])
{
    if (argc >= 2 && qstrcmp(argv[1], "run") == 0) {
        QCoreApplication app(argc, argv);
        setIdentity();
        QStringList args = QCoreApplication::arguments();
        args.removeAt(1); // "run"
        return nestscope::runCommand(args);
    }
    if (argc >= 2 && qstrcmp(argv[1], "topology") == 0) {
        // Drawing the graph needs a GUI application, never a window: render offscreen unless the
        // user chose a platform.
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
            qputenv("QT_QPA_PLATFORM", "offscreen");
        }
        QApplication app(argc, argv);
        setIdentity();
        QStringList args = QCoreApplication::arguments();
        args.removeAt(1); // "topology"
        return nestscope::topologyCommand(args);
    }
    if (argc >= 2 && (qstrcmp(argv[1], "--help") == 0 || qstrcmp(argv[1], "-h") == 0)) {
        QCoreApplication app(argc, argv);
        QTextStream(stdout) << "Usage: nestscope [--plan FILE|builtin:NAME] [--var K=V]...   opens the workbench\n"
                               "       nestscope run ...                      runs a plan without a window\n"
                               "       nestscope topology ...                 discovers and draws a runner's network\n\n"
                            << nestscope::cliUsage() << "\n"
                            << nestscope::topologyUsage();
        return 0;
    }
    if (!haveDisplay()) {
        QCoreApplication app(argc, argv);
        QTextStream(stderr) << "nestscope: there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so the "
                               "workbench cannot open.\n"
                               "Run it from a desktop session or over `ssh -X`, or use the headless mode, e.g.:\n"
                               "  nestscope run --local --plan builtin:local-basics --json -\n\n"
                            << nestscope::cliUsage();
        return 1;
    }

    QApplication app(argc, argv);
    setIdentity();
    QApplication::setApplicationDisplayName(QStringLiteral("Nestscope"));

    nestscope::MainWindow window;
    // Every run is kept as it goes; a store that cannot be opened is a warning, not a stop.
    window.openStore(nestscope::RunStore::defaultPath());
    QString spec = QStringLiteral("builtin:local-basics");
    const QStringList args = QApplication::arguments();
    const qsizetype planIndex = args.indexOf(QStringLiteral("--plan"));
    if (planIndex > 0 && planIndex + 1 < args.size()) {
        spec = args.at(planIndex + 1);
    }
    QMap<QString, QString> vars;
    for (qsizetype i = 1; i + 1 < args.size(); ++i) {
        if (args.at(i) == QLatin1String("--var") && args.at(i + 1).contains(QLatin1Char('='))) {
            vars.insert(args.at(i + 1).section(QLatin1Char('='), 0, 0), args.at(i + 1).section(QLatin1Char('='), 1));
        }
    }
    if (const auto ok = window.openPlan(spec, vars); !ok) {
        QTextStream(stderr) << "nestscope: " << ok.error().toString() << "\n";
    }
    window.show();
    return app.exec();
}
