// writeWholeFile: atomic replacement of regular files, and writing into (never over) what is
// not one: FIFOs, links to them, this process's own descriptors (/dev/stdout, /dev/fd/N).
// A QSaveFile over /dev/null, run as root, once left this machine with a regular file there
// and every later `>/dev/null` collecting output.

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

ino_t inode(const QString &path)
{
    struct stat st { };
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? st.st_ino : 0;
}

bool isFifo(const QString &path)
{
    struct stat st { };
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
        const ino_t before = inode(path);
        QCOMPARE(writeWholeFile(path, "second, longer"), QString());
        QCOMPARE(readAll(path), QByteArray("second, longer"));
        // Replaced by rename (a new inode: a reader of the old one never saw half a file), and
        // nothing else is left in the folder.
        QVERIFY(inode(path) != before);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList { QStringLiteral("run.json") });
        // Through a link the file it points to is replaced, and the link stays a link.
        const QString link = dir.filePath(QStringLiteral("latest.json"));
        QVERIFY(QFile::link(path, link));
        QCOMPARE(writeWholeFile(link, "third"), QString());
        QVERIFY(QFileInfo(link).isSymLink());
        QCOMPARE(readAll(path), QByteArray("third"));
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

    void inheritedDescriptorKeepsItsPosition_data()
    {
        QTest::addColumn<QString>("form");
        QTest::newRow("/dev/fd/N") << QStringLiteral("/dev/fd/%1");
        QTest::newRow("/proc/self/fd/N") << QStringLiteral("/proc/self/fd/%1");
        QTest::newRow("a link to /dev/fd/N") << QStringLiteral("link");
    }

    void inheritedDescriptorKeepsItsPosition()
    {
        // As `nestscope run --json /dev/stdout >>log`: stdout is the log, opened for appending.
        QFETCH(QString, form);
        QTemporaryDir dir;
        const QString log = dir.filePath(QStringLiteral("log"));
        QFile seed(log);
        QVERIFY(seed.open(QIODevice::WriteOnly));
        seed.write("header\n");
        seed.close();
        const ino_t before = inode(log);
        QFile appended(log);
        QVERIFY(appended.open(QIODevice::WriteOnly | QIODevice::Append));
        QString target = form.arg(appended.handle());
        if (form == QLatin1String("link")) {
            target = dir.filePath(QStringLiteral("out.json"));
            QVERIFY(QFile::link(QStringLiteral("/dev/fd/%1").arg(appended.handle()), target));
        }
        QCOMPARE(writeWholeFile(target, "{\"json\":1}\n"), QString());
        QCOMPARE(writeWholeFile(target, "# markdown\n"), QString());
        appended.close();
        QCOMPARE(readAll(log), QByteArray("header\n{\"json\":1}\n# markdown\n"));
        QCOMPARE(inode(log), before);
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
        // A reader, as `nestscope run --json >(jq .)` has one. It writes to a file, not to a pipe
        // that nobody drains while we write: no stall, whatever the size.
        const QString received = dir.filePath(QStringLiteral("received"));
        QProcess reader;
        reader.setStandardOutputFile(received);
        reader.start(QStringLiteral("cat"), { fifo });
        QVERIFY(reader.waitForStarted());
        QCOMPARE(writeWholeFile(target, "{\"format\":\"nestscope-run\"}\n"), QString());
        QVERIFY(reader.waitForFinished(30000));
        QCOMPARE(readAll(received), QByteArray("{\"format\":\"nestscope-run\"}\n"));
        QVERIFY(isFifo(fifo));
        if (throughLink) {
            QVERIFY(QFileInfo(target).isSymLink());
        }
    }

    void cannotWriteSaysWhyBeforeWriting()
    {
        QTemporaryDir dir;
        QCOMPARE(cannotWrite(dir.filePath(QStringLiteral("new.json"))), QString());
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("new.json")))); // nothing was written
        QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());
        QCOMPARE(cannotWrite(QStringLiteral("/dev/null")), QString());
        QCOMPARE(cannotWrite(QStringLiteral("/dev/stdout")), QString());
        QCOMPARE(cannotWrite(dir.filePath(QStringLiteral("no/such/x.json"))),
            QStringLiteral("the folder %1 does not exist").arg(dir.filePath(QStringLiteral("no/such"))));
        QCOMPARE(cannotWrite(dir.path()), QStringLiteral("it is a folder"));
        // Root ignores permission bits, but cannot make files in /proc.
        QVERIFY(
            cannotWrite(QStringLiteral("/proc/version")).startsWith(QStringLiteral("cannot create a file in /proc")));
    }

    void anUncommittedWriterLeavesTheOldFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("run.json"));
        QCOMPARE(writeWholeFile(path, "old"), QString());
        {
            WholeFileWriter out(path);
            QCOMPARE(out.open(), QString());
            QVERIFY(out.write("new, but never "));
            QCOMPARE(readAll(path), QByteArray("old")); // replaced only by commit()
        }
        QCOMPARE(readAll(path), QByteArray("old"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList { QStringLiteral("run.json") });
        WholeFileWriter out(path);
        QCOMPARE(out.open(), QString());
        QVERIFY(out.write("new "));
        QVERIFY(out.write("and whole"));
        QCOMPARE(out.commit(), QString());
        QCOMPARE(readAll(path), QByteArray("new and whole"));
        WholeFileWriter full(QStringLiteral("/dev/full"));
        QCOMPARE(full.open(), QString());
        full.write(QByteArray(100000, 'x'));
        QVERIFY(!full.commit().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestSaveFile)
#include "tst_savefile.moc"
