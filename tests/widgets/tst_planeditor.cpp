#include "codehighlighter.h"
#include "planeditor.h"

#include <QDir>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QSyntaxHighlighter>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextLayout>

using namespace nestscope;

class TestPlanEditor : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void typingAMistakeMarksItsPosition()
    {
        PlanEditor editor;
        editor.resize(900, 500);
        editor.setPlanText(
            "name: t\nprobes:\n  - {id: a, kind: shell, command: 'true'}\n", QStringLiteral("/tmp/t.yaml"));
        QVERIFY(editor.errorText().isEmpty());
        QCOMPARE(editor.outline()->count(), 1);
        QCOMPARE(editor.outline()->item(0)->text(), QStringLiteral("a  ·  shell"));

        // The user types a typo; the editor checks it shortly after, without being asked.
        QSignalSpy validated(&editor, &PlanEditor::validated);
        QTextCursor c = editor.textEdit()->textCursor();
        c.movePosition(QTextCursor::End);
        editor.textEdit()->setTextCursor(c);
        QTest::keyClicks(editor.textEdit(), QStringLiteral("  - {id: b, kind: htpp}"));
        QTest::keyClick(editor.textEdit(), Qt::Key_Return);
        QVERIFY(validated.wait(30000));
        QCOMPARE(validated.last().at(0).toBool(), false);
        QCOMPARE(editor.errorText(),
            QStringLiteral("/tmp/t.yaml:4:19: unknown probe kind \"htpp\"; use one of: shell, http, fact, dns, tcp, "
                           "icmp, mtu, package, docker"));
        const auto marks = editor.textEdit()->extraSelections();
        QCOMPARE(marks.size(), 2);
        QCOMPARE(marks.at(0).cursor.blockNumber(), 3); // line 4
        QCOMPARE(marks.at(1).cursor.selectedText(), QStringLiteral("htpp"));
        QCOMPARE(editor.outline()->count(), 1); // the outline keeps the last valid plan

        // Fixing it clears the mark and the outline shows both probes.
        QTextCursor fix = editor.textEdit()->document()->find(QStringLiteral("htpp"));
        fix.insertText(QStringLiteral("http, url: 'http://x.test/'"));
        QVERIFY(validated.wait(30000));
        QCOMPARE(validated.last().at(0).toBool(), true);
        QVERIFY(editor.textEdit()->extraSelections().isEmpty());
        QCOMPARE(editor.outline()->count(), 2);
        QVERIFY(editor.isModified());

        QDir::current().mkpath(QStringLiteral("."));
        // Show the mistake, as a user sees it, in the screenshot.
        QTextCursor again = editor.textEdit()->document()->find(QStringLiteral("kind: http,"));
        again.insertText(QStringLiteral("kind: htpp,"));
        QVERIFY(validated.wait(30000));
        const QImage shot = editor.grab().toImage();
        QVERIFY(shot.save(QStringLiteral("plan-editor.png")));
        if (qEnvironmentVariableIsSet("NESTSCOPE_UPDATE_SCREENSHOTS")) {
            QVERIFY(shot.save(QStringLiteral(NESTSCOPE_SOURCE_DIR "/docs/screenshots/plan-editor.png")));
        }
    }

    void builtinPlansAreReadOnlyUntilSavedAs()
    {
        PlanEditor editor;
        auto plan = loadPlan(QStringLiteral("builtin:nested-vm-network"));
        QVERIFY(plan.ok());
        editor.setPlanText(plan->sourceText, QStringLiteral("builtin:nested-vm-network"));
        QVERIFY(editor.isReadOnly());
        QVERIFY(editor.errorText().isEmpty());
        QCOMPARE(editor.outline()->count(), plan->probes.size());
        QTest::keyClicks(editor.textEdit(), QStringLiteral("garbage"));
        QVERIFY(!editor.planText().contains("garbage"));

        // Clicking a probe in the outline puts the cursor on its line.
        editor.outline()->setCurrentRow(6);
        Q_EMIT editor.outline()->itemActivated(editor.outline()->item(6));
        QCOMPARE(editor.textEdit()->textCursor().blockNumber() + 1, plan->probes.at(6).line);

        QTemporaryDir dir;
        const QString copy = dir.filePath(QStringLiteral("mine.yaml"));
        QVERIFY(editor.saveTo(copy).ok());
        QVERIFY(!editor.isReadOnly());
        QCOMPARE(editor.source(), copy);
        QFile f(copy);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), plan->sourceText);
    }

    void highlighterColoursKeysAndVariables()
    {
        QTextDocument doc;
        doc.setPlainText(QStringLiteral("url: \"https://${host}/\"  # comment"));
        QSyntaxHighlighter *h = attachHighlighter(&doc, CodeLanguage::Yaml);
        QVERIFY(h);
        h->rehighlight();
        const auto formats = doc.firstBlock().layout()->formats();
        QVERIFY2(formats.size() >= 3, qPrintable(QString::number(formats.size())));
        auto formatAt = [&](int pos) {
            for (const auto &r : formats) {
                if (pos >= r.start && pos < r.start + r.length) {
                    return r.format;
                }
            }
            return QTextCharFormat();
        };
        QCOMPARE(formatAt(0).fontWeight(), int(QFont::Bold)); // the key
        QVERIFY(formatAt(16).foreground() != formatAt(6).foreground()); // ${host} stands out in the string
        QVERIFY(formatAt(30).foreground().color().isValid()); // the comment
        QCOMPARE(highlighterBackend(), QStringLiteral("built-in")); // Debian 12 has no KF6 build
    }
};

QTEST_MAIN(TestPlanEditor)
#include "tst_planeditor.moc"
