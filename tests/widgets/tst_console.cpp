#include "consoleview.h"
#include "transport/localtransport.h"

#include <QLineEdit>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using namespace nestscope;

class TestConsole : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void runsOnEveryTickedTargetSideBySide()
    {
        // Two targets on this machine stand in for the runner and an instance; the view does
        // not know the difference, which is the point of the Transport interface.
        LocalTransport runner;
        LocalTransport other;
        ConsoleView view;
        view.resize(900, 400);
        view.setTargets({ { QStringLiteral("runner"), &runner }, { QStringLiteral("vm1"), &other } },
            { QStringLiteral("runner"), QStringLiteral("vm1") });
        QSignalSpy finished(&view, &ConsoleView::finished);
        view.input()->setText(QStringLiteral("echo hello; echo oops >&2; exit 3"));
        QTest::keyClick(view.input(), Qt::Key_Return);
        QVERIFY(finished.wait(30000));
        for (const QString &t : { QStringLiteral("runner"), QStringLiteral("vm1") }) {
            const QString out = view.outputOf(t);
            QVERIFY2(out.startsWith(QStringLiteral("$ echo hello; echo oops >&2; exit 3\nhello")), qPrintable(out));
            QVERIFY(out.contains(QStringLiteral("── stderr ──\noops")));
            QVERIFY(out.contains(QStringLiteral("── exit 3 · ")));
        }
        QVERIFY(view.input()->text().isEmpty());

        // Only ticked targets run.
        view.setChecked(QStringLiteral("vm1"), false);
        view.run(QStringLiteral("echo second"));
        QVERIFY(finished.wait(30000));
        QVERIFY(view.outputOf(QStringLiteral("runner")).contains(QStringLiteral("second")));
        QVERIFY(!view.outputOf(QStringLiteral("vm1")).contains(QStringLiteral("second")));

        // Up and Down walk the history.
        QTest::keyClick(view.input(), Qt::Key_Up);
        QCOMPARE(view.input()->text(), QStringLiteral("echo second"));
        QTest::keyClick(view.input(), Qt::Key_Up);
        QCOMPARE(view.input()->text(), QStringLiteral("echo hello; echo oops >&2; exit 3"));
        QTest::keyClick(view.input(), Qt::Key_Down);
        QTest::keyClick(view.input(), Qt::Key_Down);
        QCOMPARE(view.input()->text(), QString());
    }

    void stopEndsALongCommand()
    {
        LocalTransport runner;
        ConsoleView view;
        view.setTargets({ { QStringLiteral("runner"), &runner } }, { QStringLiteral("runner") });
        QSignalSpy finished(&view, &ConsoleView::finished);
        view.run(QStringLiteral("sleep 30"));
        QVERIFY(view.isRunning());
        QTimer::singleShot(100, &view, &ConsoleView::stop);
        QVERIFY(finished.wait(30000));
        QVERIFY(view.outputOf(QStringLiteral("runner")).contains(QStringLiteral("── cancelled · ")));
    }
};

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
