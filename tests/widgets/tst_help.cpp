// Help: the keyboard shortcuts (F1), the documentation, About with the versions (issue 14, item 5).
#include "common/versions.h"
#include "helpdialogs.h"
#include "mainwindow.h"
#include "topologyview.h"

#include <QAction>
#include <QDesktopServices>
#include <QFileInfo>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QStandardPaths>
#include <QTest>
#include <QUrl>

using namespace nestscope;

/// Receives what QDesktopServices would hand to the desktop (Qt's own hook for a scheme).
class UrlCatcher : public QObject {
    Q_OBJECT
public:
    QList<QUrl> urls;
public Q_SLOTS:
    void open(const QUrl &url) { urls << url; }
};

class TestHelp : public QObject {
    Q_OBJECT
private:
    static QString native(const QKeySequence &k) { return k.toString(QKeySequence::NativeText); }

private Q_SLOTS:
    void shortcutsListEveryActionWithAKey()
    {
        MainWindow w;
        const QList<ShortcutEntry> entries = windowShortcuts(&w);
        QStringList listed;
        for (const ShortcutEntry &e : entries) {
            listed << e.group + QLatin1Char('/') + e.action + QLatin1Char('=') + e.keys;
        }
        // A few by name, in the platform's words, grouped by their menu.
        QVERIFY2(listed.contains(QStringLiteral("Run/Run=") + native(QKeySequence(Qt::CTRL | Qt::Key_R))
                     + QStringLiteral(", ") + native(QKeySequence(Qt::Key_F5))),
            qPrintable(listed.join(QLatin1Char('\n'))));
        QVERIFY(listed.contains(QStringLiteral("Help/Keyboard Shortcuts=") + native(QKeySequence::HelpContents)));
        if (!native(QKeySequence::Quit).isEmpty()) { // (the offscreen platform's theme has no Quit key)
            QVERIFY(listed.contains(QStringLiteral("File/Quit=") + native(QKeySequence::Quit)));
        }
        QVERIFY(
            listed.contains(QStringLiteral("View/Findings=") + native(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F))));
        // The Topology page's own actions, under the page.
        QVERIFY2(listed.contains(QStringLiteral("Topology page/Find=") + native(QKeySequence::Find))
                || std::any_of(listed.cbegin(), listed.cend(),
                    [](const QString &l) {
                        return l.startsWith(QLatin1String("Topology page/Find"));
                    }),
            qPrintable(listed.join(QLatin1Char('\n'))));
        // Every action in a widget that has a shortcut is there, once.
        for (const QAction *a : w.findChildren<QAction *>()) {
            if (a->shortcut().isEmpty() || a->associatedObjects().isEmpty()) {
                continue;
            }
            const QString text = QString(a->text()).remove(QLatin1Char('&'));
            const auto n = std::count_if(entries.cbegin(), entries.cend(), [&](const ShortcutEntry &e) {
                return e.action == text && e.keys.contains(native(a->shortcut()));
            });
            QVERIFY2(n >= 1, qPrintable(text));
        }
        // Menus first, in the menu bar's order.
        QCOMPARE(entries.first().group, QStringLiteral("File"));
    }

    void f1OpensTheListAndItSearches()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QTest::keyClick(&w, Qt::Key_F1);
        ShortcutsDialog *dialog = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((dialog = w.findChild<ShortcutsDialog *>()) && dialog->isVisible(), 30000);
        const QStringList all = dialog->visibleEntries();
        QCOMPARE(all.size(), windowShortcuts(&w).size());
        dialog->searchField()->setText(QStringLiteral("rerun"));
        const QStringList found = dialog->visibleEntries();
        QVERIFY(!found.isEmpty());
        QVERIFY(found.size() < all.size());
        for (const QString &e : found) {
            QVERIFY2(e.contains(QLatin1String("rerun"), Qt::CaseInsensitive), qPrintable(e));
        }
        // By key, too.
        dialog->searchField()->setText(QStringLiteral("F5"));
        QCOMPARE(dialog->visibleEntries().size(), 1);
        // Asked again: the same list comes to the front, not a second one.
        w.shortcutsAction()->trigger();
        QCOMPARE(w.findChildren<ShortcutsDialog *>().size(), 1);
    }

    void aboutNamesTheVersionsWithoutWaiting()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.aboutAction()->trigger();
        auto *about = w.findChild<AboutDialog *>();
        QVERIFY(about);
        QVERIFY(about->isVisible());
        const bool haveLxc = !QStandardPaths::findExecutable(QStringLiteral("lxc")).isEmpty();
        // Shown before the clients answer: asking them never held the window up.
        if (haveLxc) {
            QVERIFY(!about->clientsKnown());
            QVERIFY2(about->versionsText().contains(QStringLiteral("LXD client (lxc) here: looking…")),
                qPrintable(about->versionsText()));
        }
        const ComponentVersions v = componentVersions();
        const QString text = about->versionsText();
        QVERIFY2(text.contains(QStringLiteral("Nestscope: ") + QStringLiteral(NESTSCOPE_VERSION)), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("Qt: ") + QString::fromLatin1(qVersion())), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("libssh: ") + v.libssh), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("Graphviz: ") + v.graphviz), qPrintable(text));
        QTRY_VERIFY_WITH_TIMEOUT(about->clientsKnown(), 30000);
        const QString known = about->versionsText();
        QVERIFY2(!known.contains(QStringLiteral("looking")), qPrintable(known));
        if (!haveLxc) {
            QVERIFY2(known.contains(QStringLiteral("LXD client (lxc) here: not found")), qPrintable(known));
        } else {
            QVERIFY2(known.contains(QRegularExpression(QStringLiteral("LXD client \\(lxc\\) here: \\d+\\.\\d+"))),
                qPrintable(known));
        }
        if (QStandardPaths::findExecutable(QStringLiteral("incus")).isEmpty()) {
            QVERIFY2(known.contains(QStringLiteral("Incus client (incus) here: not found")), qPrintable(known));
        }
    }

    void documentationOpensTheReadme()
    {
        UrlCatcher catcher;
        QDesktopServices::setUrlHandler(QStringLiteral("file"), &catcher, "open");
        MainWindow w;
        w.documentationAction()->trigger();
        QDesktopServices::unsetUrlHandler(QStringLiteral("file"));
        // A build run from its tree (this test) has the source README, unless the package is installed.
        const QString path = documentationPath();
        QVERIFY(!path.isEmpty());
        QVERIFY(QFileInfo(path).fileName() == QLatin1String("README.md"));
        QCOMPARE(catcher.urls, QList<QUrl> { QUrl::fromLocalFile(path) });
        QVERIFY(!w.findChild<QMessageBox *>(QStringLiteral("DocumentationMessage")));
    }
};

QTEST_MAIN(TestHelp)
#include "tst_help.moc"
