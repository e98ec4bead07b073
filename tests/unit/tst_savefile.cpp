// writeWholeFile: atomic replacement of regular files, and writing into (never over) what is
// not one: FIFOs, links to them, /dev/stdout. A QSaveFile over /dev/null, run as root, once left
// this machine with a regular file there and every later `>/dev/null` collecting output.

#include "common/savefile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace nestscope;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<unreadable>");
}

bool isFifo(const QString &path)
{
    struct stat st {};
    return ::lstat(QFile::encodeName(path).constData(), &st) == 0 && S_ISFIFO(st.st_mode);
}

} // namespace

class TestSaveFile : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void newAndReplacedRegularFiles()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("run.json"));
        QCOMPARE(writeWholeFile(path, "first"), QString());
        QCOMPARE(readAll(path), QByteArray("first"));
        QCOMPARE(writeWholeFile(path, "second, longer"), QString());
        QCOMPARE(readAll(path), QByteArray("second, longer"));
        // Replaced by rename: nothing else is left in the folder.
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList { QStringLiteral("run.json") });
    }

    void failuresSayWhy()
    {
        QTemporaryDir dir;
        const QString missing = dir.filePath(QStringLiteral("no/such/folder/run.json"));
        QVERIFY(!writeWholeFile(missing, "x").isEmpty());
        QVERIFY(!QFileInfo::exists(missing));
        // A folder where the file should be stays a folder.
        const QString folder = dir.filePath(QStringLiteral("taken"));
        QVERIFY(QDir().mkpath(folder));
        QVERIFY(!writeWholeFile(folder, "x").isEmpty());
        QVERIFY(QFileInfo(folder).isDir());
    }

    void fifoIsWrittenIntoNotReplaced_data()
    {
        QTest::addColumn<bool>("throughLink");
        QTest::newRow("fifo") << false;
        QTest::newRow("link to a fifo (as /dev/stdout is)") << true;
    }

    void fifoIsWrittenIntoNotReplaced()
    {
        QFETCH(bool, throughLink);
        QTemporaryDir dir;
        const QString fifo = dir.filePath(QStringLiteral("pipe"));
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        QString target = fifo;
        if (throughLink) {
            target = dir.filePath(QStringLiteral("stdout"));
            QVERIFY(QFile::link(fifo, target));
        }
        // A reader, as `nestscope run --json >(jq .)` has one.
        QProcess reader;
        reader.start(QStringLiteral("cat"), { fifo });
        QVERIFY(reader.waitForStarted());
        QCOMPARE(writeWholeFile(target, "{\"format\":\"nestscope-run\"}\n"), QString());
        QVERIFY(reader.waitForFinished(10000));
        QCOMPARE(reader.readAllStandardOutput(), QByteArray("{\"format\":\"nestscope-run\"}\n"));
        QVERIFY(isFifo(fifo));
        if (throughLink) {
            QVERIFY(QFileInfo(target).isSymLink());
        }
    }
};

QTEST_GUILESS_MAIN(TestSaveFile)
#include "tst_savefile.moc"
