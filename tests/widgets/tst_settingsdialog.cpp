#include "mainwindow.h"
#include "settingsdialog.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QMenuBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStyle>
#include <QTemporaryDir>
#include <QTest>

using namespace nestscope;

namespace {

qint64 stamp(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return -1;
    }
    bool ok = false;
    const qint64 v = f.readAll().trimmed().toLongLong(&ok);
    return ok ? v : -1;
}

QPushButton *button(SettingsDialog *dialog, QDialogButtonBox::StandardButton which)
{
    auto *box = dialog->findChild<QDialogButtonBox *>();
    return box ? box->button(which) : nullptr;
}

} // namespace

class TestSettingsDialog : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_config;
    QPalette m_startPalette;

    /// Opens File > Settings… on `w` and returns the dialog it shows.
    static SettingsDialog *openSettings(MainWindow &w)
    {
        w.settingsAction()->trigger();
        // A dialog closed before is only deleted later: the one shown is the new one.
        for (SettingsDialog *dialog : w.findChildren<SettingsDialog *>()) {
            if (dialog->isVisible()) {
                return dialog;
            }
        }
        return nullptr;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_startPalette = QApplication::palette();
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_config.isValid());
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_config.path());
        QCoreApplication::setOrganizationName(QStringLiteral("NestscopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_settingsdialog"));
    }

    void init()
    {
        QSettings().clear();
        applyTheme(AppSettings::Theme::System);
    }

    void shortcutAndDefaults()
    {
        MainWindow w;
        QCOMPARE(w.settingsAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_Comma));
        SettingsDialog *dialog = openSettings(w);
        QVERIFY(dialog);
        QCOMPARE(dialog->settings(), AppSettings {});
        QCOMPARE(dialog->planCombo()->currentText(), QStringLiteral("builtin:local-basics"));
        QCOMPARE(dialog->concurrencySpin()->text(), QStringLiteral("Plan's own"));
        QCOMPARE(dialog->outputCapSpin()->value(), 1024);
        dialog->reject();
    }

    void cancelKeepsAndRestoreDefaultsResets()
    {
        MainWindow w;
        SettingsDialog *dialog = openSettings(w);
        QVERIFY(dialog);
        dialog->concurrencySpin()->setValue(5);
        dialog->reject();
        QCOMPARE(w.appSettings(), AppSettings {});
        QVERIFY(!QSettings().contains(QStringLiteral("settings/version")));

        AppSettings changed;
        changed.concurrency = 9;
        changed.theme = AppSettings::Theme::Light;
        w.setAppSettings(changed);
        dialog = openSettings(w);
        QVERIFY(dialog);
        QCOMPARE(dialog->settings(), changed);
        button(dialog, QDialogButtonBox::RestoreDefaults)->click();
        QCOMPARE(dialog->settings(), AppSettings {});
        dialog->reject();
    }

    void acceptSavesAndAppliesTheTheme()
    {
        MainWindow w;
        SettingsDialog *dialog = openSettings(w);
        QVERIFY(dialog);
        const QString plan = QStringLiteral("builtin:") + builtinPlanNames().last();
        dialog->planCombo()->setCurrentIndex(dialog->planCombo()->findData(plan));
        dialog->concurrencySpin()->setValue(3);
        dialog->timeoutSpin()->setValue(12);
        dialog->clientCombo()->setCurrentIndex(dialog->clientCombo()->findData(int(InstanceTransport::Client::Incus)));
        dialog->outputCapSpin()->setValue(64);
        dialog->themeCombo()->setCurrentIndex(dialog->themeCombo()->findData(int(AppSettings::Theme::Dark)));
        button(dialog, QDialogButtonBox::Ok)->click();

        AppSettings expected;
        expected.defaultPlan = plan;
        expected.concurrency = 3;
        expected.defaultTimeout = std::chrono::seconds(12);
        expected.client = InstanceTransport::Client::Incus;
        expected.outputCapBytes = 64 * 1024;
        expected.theme = AppSettings::Theme::Dark;
        QCOMPARE(w.appSettings(), expected);
        QSettings stored;
        QCOMPARE(stored.value(QStringLiteral("settings/version")).toInt(), 1);
        QCOMPARE(AppSettings::load(stored), expected);
        // The theme at once: Fusion with a dark window colour.
        QCOMPARE(QApplication::style()->name(), QStringLiteral("fusion"));
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 100);
        QVERIFY(w.menuBar()->palette().color(QPalette::Window).lightness() < 100);
        applyTheme(AppSettings::Theme::Light);
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() > 150);
        QVERIFY(w.menuBar()->palette().color(QPalette::Window).lightness() > 150);
        applyTheme(AppSettings::Theme::System);
        QCOMPARE(QApplication::palette(), m_startPalette);
    }

    void theNextRunUsesThem()
    {
        QTemporaryDir work;
        QVERIFY(work.isValid());
        const QString dir = work.path();
        QFile planFile(work.filePath(QStringLiteral("plan.yaml")));
        QVERIFY(planFile.open(QIODevice::WriteOnly));
        // The plan's own: four at once, 30 s timeouts. Each sleeper writes when it starts and ends.
        const QString sleeper = QStringLiteral("date +%s%N > '%1/%2.start'; sleep 0.3; date +%s%N > '%1/%2.end'");
        planFile.write(QStringLiteral(
            "name: Settings\n"
            "defaults: {timeout: 30s, concurrency: 4}\n"
            "probes:\n"
            "  - {id: big, kind: shell, timeout: 60s, command: \"head -c 102400 /dev/zero | tr '\\\\0' x\"}\n"
            "  - {id: a, kind: shell, timeout: 60s, command: \"%1\"}\n"
            "  - {id: b, kind: shell, timeout: 60s, command: \"%2\"}\n"
            "  - {id: slow, kind: shell, command: sleep 60}\n")
                           .arg(sleeper.arg(dir, QStringLiteral("a")), sleeper.arg(dir, QStringLiteral("b")))
                           .toUtf8());
        planFile.close();

        MainWindow w;
        const auto opened = w.openPlan(planFile.fileName());
        QVERIFY2(opened.ok(), opened.ok() ? "" : qPrintable(opened.error().toString()));
        SettingsDialog *dialog = openSettings(w);
        QVERIFY(dialog);
        dialog->concurrencySpin()->setValue(1);
        dialog->timeoutSpin()->setValue(1);
        dialog->outputCapSpin()->setValue(16);
        dialog->accept();
        QCOMPARE(w.appSettings().outputCapBytes, 16 * 1024);

        QSignalSpy finished(&w, &MainWindow::runFinished);
        w.runAction()->trigger();
        QVERIFY(finished.wait(30000));
        const Run run = w.currentRun();
        QCOMPARE(run.samples.size(), 4);
        for (const Sample &s : run.samples) {
            if (s.probeId == QLatin1String("big")) {
                // Cut at the cap, not at the 1 MiB default.
                QCOMPARE(s.stdOut.size(), 16 * 1024);
                QVERIFY(s.stdOutTruncated);
            } else if (s.probeId == QLatin1String("slow")) {
                // No timeout of its own: the setting's 1 s, not the plan's 30 s.
                QCOMPARE(s.status, SampleStatus::Timeout);
            } else {
                QCOMPARE(s.status, SampleStatus::Pass);
            }
        }
        // Concurrency 1: one sleeper ended before the other started.
        const qint64 aStart = stamp(work.filePath(QStringLiteral("a.start")));
        const qint64 aEnd = stamp(work.filePath(QStringLiteral("a.end")));
        const qint64 bStart = stamp(work.filePath(QStringLiteral("b.start")));
        const qint64 bEnd = stamp(work.filePath(QStringLiteral("b.end")));
        QVERIFY(aStart > 0 && aEnd > 0 && bStart > 0 && bEnd > 0);
        QVERIFY2(aEnd <= bStart || bEnd <= aStart,
            qPrintable(QStringLiteral("a %1..%2, b %3..%4").arg(aStart).arg(aEnd).arg(bStart).arg(bEnd)));
    }
};

QTEST_MAIN(TestSettingsDialog)
#include "tst_settingsdialog.moc"
