// Faults and bad input, end to end: the real `nestscope run` binary against an sshd that is
// killed mid-run, a probe that prints 1 GiB, a plan of 10,000 probes, and a run store (or --json)
// on a disk that is full or read-only. In each: no crash, no hang, memory bounded, every completed
// sample kept, and a message that says what happened. The figures are in README.md ("Reliability").

#include "results/runstore.h"
#include "sshserver.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

/// `tst_faults --peak-rss FILE PROGRAM ARGS...`: runs PROGRAM as its only child, waits for it and
/// writes the child's peak resident set (wait4()'s ru_maxrss, in KiB: the largest of it and of
/// the children it waited for) to FILE; exits as the child did. QProcess reaps its children itself,
/// so the test measures through this small parent of its own.
int runMeasured(char **argv)
{
    const pid_t child = ::fork();
    if (child < 0) {
        std::perror("fork");
        return 125;
    }
    if (child == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL); // the test killed us (a hang): the child goes too
        ::execvp(argv[3], argv + 3);
        std::perror(argv[3]);
        ::_exit(127);
    }
    int status = 0;
    rusage usage {};
    while (::wait4(child, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            std::perror("wait4");
            return 125;
        }
    }
    if (FILE *f = std::fopen(argv[2], "w")) {
        std::fprintf(f, "%ld\n", usage.ru_maxrss);
        std::fclose(f);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// A `nestscope` (or a command that runs it) under runMeasured(): its output, exit code, peak
/// memory and how long it took.
class Measured {
public:
    explicit Measured(const QStringList &command)
        : m_command(command)
    {
    }
    ~Measured()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished();
        }
    }
    Measured(const Measured &) = delete;
    Measured &operator=(const Measured &) = delete;

    bool start()
    {
        m_clock.start();
        m_process.start(QCoreApplication::applicationFilePath(),
            QStringList { QStringLiteral("--peak-rss"), m_rss.filePath(QStringLiteral("rss")) } + m_command);
        return m_process.waitForStarted(30000);
    }
    /// What it wrote on standard error so far.
    const QByteArray &err()
    {
        m_err += m_process.readAllStandardError();
        return m_err;
    }
    bool running() const { return m_process.state() != QProcess::NotRunning; }
    /// Waits for the end; false (and it is killed) when it outlives `ms`.
    bool finish(int ms)
    {
        const bool ended = m_process.waitForFinished(ms);
        if (!ended) {
            m_process.kill();
            m_process.waitForFinished();
        }
        m_elapsedMs = m_clock.elapsed();
        err();
        m_out = m_process.readAllStandardOutput();
        return ended;
    }
    int exitCode() const { return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1; }
    const QByteArray &out() const { return m_out; }
    qint64 elapsedMs() const { return m_elapsedMs; }
    /// The peak resident set of the command, in KiB (0 when unknown).
    long peakKb() const
    {
        QFile f(m_rss.filePath(QStringLiteral("rss")));
        return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toLong() : 0;
    }

private:
    QStringList m_command;
    QTemporaryDir m_rss;
    QProcess m_process;
    QElapsedTimer m_clock;
    QByteArray m_err;
    QByteArray m_out;
    qint64 m_elapsedMs = 0;
};

void writeFile(const QString &path, const QByteArray &text)
{
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly), qPrintable(path));
    QCOMPARE(f.write(text), text.size());
}

QJsonObject readJson(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(f.readAll()).object();
}

/// Status -> count over the JSON's samples.
QHash<QString, int> jsonCounts(const QJsonObject &run)
{
    QHash<QString, int> counts;
    for (const auto &v : run.value(QStringLiteral("samples")).toArray()) {
        ++counts[v.toObject().value(QStringLiteral("status")).toString()];
    }
    return counts;
}

/// Status -> count over one stored run's samples; "" -> the number of runs in the file.
QHash<QString, int> storeCounts(const QString &path)
{
    QHash<QString, int> counts;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("check"));
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        if (db.open()) {
            QSqlQuery q(db);
            q.exec(QStringLiteral("SELECT status, count(*) FROM samples GROUP BY status"));
            while (q.next()) {
                counts.insert(q.value(0).toString(), q.value(1).toInt());
            }
            q.exec(QStringLiteral("SELECT count(*) FROM runs"));
            if (q.next()) {
                counts.insert(QString(), q.value(0).toInt());
            }
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("check"));
    return counts;
}

/// The progress lines "[N/M] STATUS ..." that the run printed, per status.
QHash<QString, int> progressCounts(const QByteArray &err)
{
    QHash<QString, int> counts;
    static const QRegularExpression line(
        QStringLiteral("^\\[\\d+/\\d+\\] (\\w+) "), QRegularExpression::MultilineOption);
    auto it = line.globalMatch(QString::fromUtf8(err));
    while (it.hasNext()) {
        ++counts[it.next().captured(1)];
    }
    return counts;
}

/// The sshd processes this test process started (`listeners`: our children named sshd) and the
/// ones they forked for their connections and commands (`connections`). Killing only the latter
/// drops the connections and leaves the server listening, as a reset link does.
struct SshdProcesses {
    QList<pid_t> listeners;
    QList<pid_t> connections;
};

SshdProcesses sshdProcesses()
{
    QHash<pid_t, pid_t> parentOf;
    SshdProcesses found;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &e : entries) {
        bool ok = false;
        const auto pid = static_cast<pid_t>(e.toInt(&ok));
        QFile stat(QStringLiteral("/proc/%1/stat").arg(e));
        if (!ok || !stat.open(QIODevice::ReadOnly)) {
            continue;
        }
        // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
        const QByteArray text = stat.readAll();
        const QList<QByteArray> rest = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (rest.size() < 2) {
            continue;
        }
        const auto parent = static_cast<pid_t>(rest.at(1).toInt());
        parentOf.insert(pid, parent);
        if (parent == ::getpid() && text.contains("(sshd)")) {
            found.listeners << pid;
        }
    }
    QList<pid_t> frontier = found.listeners;
    while (!frontier.isEmpty()) {
        const pid_t parent = frontier.takeFirst();
        for (auto it = parentOf.cbegin(); it != parentOf.cend(); ++it) {
            if (it.value() == parent && !found.connections.contains(it.key())) {
                found.connections << it.key();
                frontier << it.key();
            }
        }
    }
    return found;
}

/// Whether a process has ended (gone, or a zombie: its files, and so its sockets, are closed).
bool ended(pid_t pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly)) {
        return true;
    }
    const QByteArray text = stat.readAll();
    return text.mid(text.lastIndexOf(')') + 2).startsWith('Z');
}

} // namespace

class TestFaults : public QObject {
    Q_OBJECT

private:
    static QString nestscope() { return QStringLiteral(NESTSCOPE_BINARY); }

    /// Runs `script` (sh, with "$NESTSCOPE" and the given variables) in a mount namespace of its
    /// own, where it may mount a tmpfs: the mount exists only in there and goes with it.
    static QStringList inMountNamespace(const QString &script, const QStringList &args)
    {
        return QStringList { QStringLiteral("unshare"), QStringLiteral("--mount"), QStringLiteral("--propagation"),
            QStringLiteral("private"), QStringLiteral("sh"), QStringLiteral("-c"), script, QStringLiteral("sh") }
        + args;
    }

    static bool canMount(QString *why)
    {
        if (::geteuid() != 0) {
            *why = QStringLiteral("mounting a tmpfs in a private mount namespace needs root");
            return false;
        }
        if (QStandardPaths::findExecutable(QStringLiteral("unshare")).isEmpty()) {
            *why = QStringLiteral("unshare(1) (util-linux) is not installed");
            return false;
        }
        return true;
    }

private Q_SLOTS:
    // --- 1. The runner's sshd is killed while the run goes on ---

    void sshdKilledMidRun()
    {
        nestscope::test::SshServer server;
        QVERIFY2(server.start(), qPrintable(server.error()));
        QTemporaryDir dir;
        const QString knownHosts = dir.filePath(QStringLiteral("known_hosts"));
        writeFile(knownHosts, server.knownHostsLine());
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        // One at a time, so that the count at the kill is what was reported before it.
        writeFile(plan,
            "name: Naps\ndefaults: {repeat: 60, concurrency: 1, timeout: 10s}\nprobes:\n"
            "  - {id: nap, kind: shell, command: \"sleep 0.1; echo awake\"}\n");
        const QString json = dir.filePath(QStringLiteral("run.json"));
        const QString store = dir.filePath(QStringLiteral("runs.sqlite"));
        Measured run({ nestscope(), QStringLiteral("run"), QStringLiteral("--host"),
            QStringLiteral("%1@127.0.0.1:%2").arg(server.user()).arg(server.port()), QStringLiteral("--identity"),
            server.clientKey(), QStringLiteral("--ssh-config"), server.emptyConfig(), QStringLiteral("--known-hosts"),
            knownHosts, QStringLiteral("--no-topology"), QStringLiteral("--plan"), plan, QStringLiteral("--json"), json,
            QStringLiteral("--store"), store });
        QVERIFY(run.start());
        constexpr int kBeforeKill = 20;
        QTRY_VERIFY_WITH_TIMEOUT(
            progressCounts(run.err()).value(QStringLiteral("pass")) >= kBeforeKill || !run.running(), 60000);
        QVERIFY2(run.running(), run.err().constData());
        // As SshServer::kill(), but the listener first and gone before the connections go: else a
        // loaded machine may let nestscope connect again to a listener that is still dying.
        const SshdProcesses sshd = sshdProcesses();
        QVERIFY(!sshd.listeners.isEmpty() && !sshd.connections.isEmpty());
        for (pid_t pid : sshd.listeners) {
            ::kill(pid, SIGKILL);
        }
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(sshd.listeners.cbegin(), sshd.listeners.cend(), ended), 30000);
        for (pid_t pid : sshd.connections) {
            ::kill(pid, SIGKILL);
        }
        QElapsedTimer sinceKill;
        sinceKill.start();
        QVERIFY2(run.finish(60000), run.err().constData());
        const qint64 afterKillMs = sinceKill.elapsed();
        const QByteArray &err = run.err();
        qInfo("sshd killed after %d samples: exit %d, %lld ms after the kill, peak %ld KiB\n%s",
            progressCounts(err).value(QStringLiteral("pass")), run.exitCode(), afterKillMs, run.peakKb(),
            err.right(1500).constData());

        // No hang: the probe timeout (10 s) plus 5 s at most, however loaded the machine.
        QVERIFY2(afterKillMs < 15000, qPrintable(QString::number(afterKillMs)));
        QVERIFY2(run.peakKb() > 0 && run.peakKb() < 150 * 1024, qPrintable(QString::number(run.peakKb())));
        QCOMPARE(run.exitCode(), 3);
        const QHash<QString, int> reported = progressCounts(err);
        int kept = 0;
        for (int n : reported) {
            kept += n;
        }
        // One message that says what happened, what was kept and what did not run.
        const QRegularExpression message(QStringLiteral(
            "nestscope run: the connection to ssh://\\S+ was lost \\(.+\\) and connecting again failed "
            "\\(.*Connection refused\\): the run stopped after (\\d+) of 60 samples, every one kept \\(those "
            "running when it was lost are errors\\); (\\d+) did not run\n"));
        const auto said = message.match(QString::fromUtf8(err));
        QVERIFY2(said.hasMatch(), err.constData());
        QCOMPARE(said.captured(1).toInt(), kept);
        QCOMPARE(said.captured(2).toInt(), 60 - kept);

        // Every sample that completed is kept: what the progress said = the JSON = the store.
        QVERIFY(reported.value(QStringLiteral("pass")) >= kBeforeKill);
        const QJsonObject o = readJson(json);
        QCOMPARE(jsonCounts(o), reported);
        QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
        QHash<QString, int> stored = storeCounts(store);
        QCOMPARE(stored.take(QString()), 1);
        QCOMPARE(stored, reported);
    }

    void connectionDroppedMidRunComesBack()
    {
        // The connection is cut (sshd's processes for it killed) but sshd still listens: the
        // next command connects again and the run goes on; only the sample in flight is lost.
        nestscope::test::SshServer server;
        QVERIFY2(server.start(), qPrintable(server.error()));
        QTemporaryDir dir;
        const QString knownHosts = dir.filePath(QStringLiteral("known_hosts"));
        writeFile(knownHosts, server.knownHostsLine());
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        writeFile(plan,
            "name: Naps\ndefaults: {repeat: 30, concurrency: 1, timeout: 10s}\nprobes:\n"
            "  - {id: nap, kind: shell, command: \"sleep 0.1; echo awake\"}\n");
        const QString json = dir.filePath(QStringLiteral("run.json"));
        const QString store = dir.filePath(QStringLiteral("runs.sqlite"));
        Measured run({ nestscope(), QStringLiteral("run"), QStringLiteral("--host"),
            QStringLiteral("%1@127.0.0.1:%2").arg(server.user()).arg(server.port()), QStringLiteral("--identity"),
            server.clientKey(), QStringLiteral("--ssh-config"), server.emptyConfig(), QStringLiteral("--known-hosts"),
            knownHosts, QStringLiteral("--no-topology"), QStringLiteral("--plan"), plan, QStringLiteral("--json"), json,
            QStringLiteral("--store"), store });
        QVERIFY(run.start());
        QTRY_VERIFY_WITH_TIMEOUT(
            progressCounts(run.err()).value(QStringLiteral("pass")) >= 10 || !run.running(), 60000);
        QVERIFY2(run.running(), run.err().constData());
        const QList<pid_t> connection = sshdProcesses().connections;
        QVERIFY(!connection.isEmpty());
        for (pid_t pid : connection) {
            ::kill(pid, SIGKILL);
        }
        QVERIFY2(run.finish(60000), run.err().constData());
        const QByteArray &err = run.err();
        qInfo("connection cut after 10 samples, sshd still listening: exit %d in %lld ms, peak %ld KiB\n%s",
            run.exitCode(), run.elapsedMs(), run.peakKb(), err.constData());
        QVERIFY2(err.contains(" was lost (")
                && err.contains(") and is back; the samples that were running then are "
                                "errors\n"),
            err.constData());
        // Every sample ran and is kept; the one (or few) in flight at the cut are errors.
        const QHash<QString, int> reported = progressCounts(err);
        QCOMPARE(reported.value(QStringLiteral("pass")) + reported.value(QStringLiteral("error")), 30);
        QVERIFY(reported.value(QStringLiteral("error")) >= 1);
        QCOMPARE(run.exitCode(), 1); // an error is a probe that did not pass
        QCOMPARE(jsonCounts(readJson(json)), reported);
        QHash<QString, int> stored = storeCounts(store);
        QCOMPARE(stored.take(QString()), 1);
        QCOMPARE(stored, reported);
    }

    // --- 2. A probe that prints 1 GiB ---

    void aProbePrintsOneGibibyte()
    {
        QTemporaryDir dir;
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        // `yes` through `head`: 1 GiB of text, streamed; the transport keeps 1 MiB per stream.
        writeFile(plan,
            "name: Flood\nprobes:\n"
            "  - {id: flood, kind: shell, timeout: 60s, command: \"yes flood | head -c 1073741824\"}\n");
        const QString json = dir.filePath(QStringLiteral("run.json"));
        const QString store = dir.filePath(QStringLiteral("runs.sqlite"));
        Measured run({ nestscope(), QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--no-topology"),
            QStringLiteral("--plan"), plan, QStringLiteral("--json"), json, QStringLiteral("--store"), store });
        QVERIFY(run.start());
        QVERIFY2(run.finish(120000), run.err().constData());
        const QByteArray &err = run.err();
        qInfo("1 GiB of output: exit %d in %lld ms, peak %ld KiB\n%s", run.exitCode(), run.elapsedMs(), run.peakKb(),
            err.constData());
        QCOMPARE(run.exitCode(), 0);
        // No hang: the probe's timeout plus 5 s at most.
        QVERIFY2(run.elapsedMs() < 65000, qPrintable(QString::number(run.elapsedMs())));
        // Memory: 1 MiB per stream in flight, 16 KiB of each output kept, the JSON written as it goes.
        QVERIFY2(run.peakKb() > 0 && run.peakKb() < 100 * 1024, qPrintable(QString::number(run.peakKb())));
        // The message says the output was cut, and where.
        QVERIFY2(err.contains("[1/1] pass    flood on runner #1 ") && err.contains("stdout cut at 1024 KiB"),
            err.constData());

        // The sample is kept with its first MiB and the mark that there was more.
        const QJsonObject sample = readJson(json).value(QStringLiteral("samples")).toArray().at(0).toObject();
        QCOMPARE(sample.value(QStringLiteral("status")).toString(), QStringLiteral("pass"));
        QCOMPARE(sample.value(QStringLiteral("stdout")).toString().size(), 1024 * 1024);
        QVERIFY(sample.value(QStringLiteral("stdout")).toString().startsWith(QStringLiteral("flood\nflood\n")));
        QCOMPARE(sample.value(QStringLiteral("stdout_truncated")).toBool(), true);
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("flood"));
            db.setDatabaseName(store);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("SELECT status, length(stdout), stdout_truncated FROM samples")));
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("pass"));
            QCOMPARE(q.value(1).toInt(), 1024 * 1024);
            QCOMPARE(q.value(2).toInt(), 1);
            QVERIFY(!q.next());
        }
        QSqlDatabase::removeDatabase(QStringLiteral("flood"));
    }

    // --- 3. A plan of 10,000 probes ---

    void tenThousandProbes()
    {
        constexpr int kProbes = 10000;
        QTemporaryDir dir;
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        QByteArray yaml = "name: Many\nprobes:\n";
        for (int i = 0; i < kProbes; ++i) {
            yaml += "  - {id: p" + QByteArray::number(i) + ", kind: shell, command: \"true\"}\n";
        }
        writeFile(plan, yaml);
        const QString json = dir.filePath(QStringLiteral("run.json"));
        const QString store = dir.filePath(QStringLiteral("runs.sqlite"));
        Measured run({ nestscope(), QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--no-topology"),
            QStringLiteral("--plan"), plan, QStringLiteral("--json"), json, QStringLiteral("--store"), store });
        QVERIFY(run.start());
        // About 17 s on a quiet machine; the whole of tst_faults took 135 s beside two CPU hogs.
        QVERIFY2(run.finish(450000), run.err().right(2000).constData());
        const QByteArray &err = run.err();
        qInfo("%d probes: exit %d in %lld ms, peak %ld KiB\n%s", kProbes, run.exitCode(), run.elapsedMs(), run.peakKb(),
            err.right(300).constData());
        QCOMPARE(run.exitCode(), 0);
        QVERIFY2(run.peakKb() > 0 && run.peakKb() < 150 * 1024, qPrintable(QString::number(run.peakKb())));
        QVERIFY2(
            err.contains("Many: 10000 pass, 0 fail, 0 timeout, 0 error, 0 skipped in "), err.right(500).constData());
        // Every sample: in the progress, the JSON and the store, once per probe.
        const QHash<QString, int> all { { QStringLiteral("pass"), kProbes } };
        QCOMPARE(progressCounts(err), all);
        const QJsonObject o = readJson(json);
        QCOMPARE(jsonCounts(o), all);
        QSet<QString> ids;
        for (const auto &v : o.value(QStringLiteral("samples")).toArray()) {
            ids.insert(v.toObject().value(QStringLiteral("probe")).toString());
        }
        QCOMPARE(ids.size(), kProbes);
        QHash<QString, int> stored = storeCounts(store);
        QCOMPARE(stored.take(QString()), 1);
        QCOMPARE(stored, all);
    }

    // --- 4. The run store's disk is full, or read-only ---

    void storeDiskFull()
    {
        QString why;
        if (!canMount(&why)) {
            QSKIP(qPrintable(why));
        }
        QTemporaryDir dir;
        const QString mnt = dir.filePath(QStringLiteral("mnt"));
        const QString kept = dir.filePath(QStringLiteral("kept"));
        QVERIFY(QDir().mkpath(mnt) && QDir().mkpath(kept));
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        // 40 samples of 27 KB each: 1 MB, where the store has 256 KiB.
        writeFile(plan,
            "name: Fill\ndefaults: {repeat: 40, concurrency: 1}\nprobes:\n"
            "  - {id: fill, kind: shell, command: \"head -c 20000 /dev/urandom | base64\"}\n");
        const QString json = dir.filePath(QStringLiteral("run.json"));
        // In the namespace: the tmpfs, the run, then what is left on it and a copy of the store.
        const QString script = QStringLiteral(
            "mount -t tmpfs -o size=256k tmpfs \"$1\" || exit 90\n"
            "\"$2\" run --local --no-topology --plan \"$3\" --store \"$1/s.db\" --json \"$4\"\n"
            "rc=$?\nls -A \"$1\" > \"$5/listing\"\ncp \"$1\"/s.db \"$1\"/s.db-wal \"$5/\" 2>/dev/null\nexit $rc\n");
        Measured run(inMountNamespace(script, { mnt, nestscope(), plan, json, kept }));
        QVERIFY(run.start());
        QVERIFY2(run.finish(120000), run.err().constData());
        const QByteArray &err = run.err();
        qInfo("store on a full disk: exit %d in %lld ms, peak %ld KiB\n%s", run.exitCode(), run.elapsedMs(),
            run.peakKb(), err.right(1500).constData());
        QVERIFY2(run.exitCode() != 90, "cannot mount a tmpfs");
        QCOMPARE(run.exitCode(), 2);
        QVERIFY2(run.peakKb() > 0 && run.peakKb() < 100 * 1024, qPrintable(QString::number(run.peakKb())));
        const QString store = mnt + QStringLiteral("/s.db");
        // Said when it happens, and at the end with what the store holds.
        QVERIFY2(err.contains((QStringLiteral("nestscope run: cannot write --store ") + store
                     + QStringLiteral(" any more: database or disk is full; the run goes on"))
                                  .toUtf8()),
            err.constData());
        const QRegularExpression end(QStringLiteral("nestscope run: cannot write --store %1: database or disk is "
                                                    "full; it holds (\\d+) of the 40 samples \\(run 1, ")
                                         .arg(QRegularExpression::escape(store)));
        const auto said = end.match(QString::fromUtf8(err));
        QVERIFY2(said.hasMatch(), err.constData());
        QVERIFY(err.contains("Fill: 40 pass"));

        // The other outputs are complete: every sample in the JSON.
        const QJsonObject o = readJson(json);
        QCOMPARE(jsonCounts(o), (QHash<QString, int> { { QStringLiteral("pass"), 40 } }));
        // No cut file: the store and its log, a sound database with the samples it said it holds.
        QFile listing(kept + QStringLiteral("/listing"));
        QVERIFY(listing.open(QIODevice::ReadOnly));
        for (const QByteArray &name : listing.readAll().split('\n')) {
            QVERIFY2(name.isEmpty() || name == "s.db" || name == "s.db-wal" || name == "s.db-shm", name.constData());
        }
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("full"));
            db.setDatabaseName(kept + QStringLiteral("/s.db"));
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("PRAGMA integrity_check")) && q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("ok"));
            QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM samples WHERE status = 'pass'")) && q.next());
            QCOMPARE(q.value(0).toInt(), said.captured(1).toInt());
            QVERIFY(said.captured(1).toInt() < 40);
        }
        QSqlDatabase::removeDatabase(QStringLiteral("full"));
        // Its run was left running by a process that is gone: opened again, it is interrupted.
        nestscope::RunStore reopened;
        QVERIFY(reopened.open(kept + QStringLiteral("/s.db")));
        const auto info = reopened.runInfo(1);
        QVERIFY(info);
        QCOMPARE(info->status, nestscope::RunStatus::Interrupted);
        QCOMPARE(info->samples, said.captured(1).toInt());
    }

    void storeReadOnly()
    {
        QString why;
        if (!canMount(&why)) {
            QSKIP(qPrintable(why));
        }
        QTemporaryDir dir;
        const QString mnt = dir.filePath(QStringLiteral("mnt"));
        QVERIFY(QDir().mkpath(mnt));
        const QString marker = dir.filePath(QStringLiteral("ran"));
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        writeFile(plan, "name: Marks\nprobes:\n  - {id: mark, kind: shell, command: \"touch \\\"$MARKER\\\"\"}\n");
        // A store made by a first run, then the file system turned read-only under it.
        const QString script = QStringLiteral(
            "mount -t tmpfs -o size=1m tmpfs \"$1\" || exit 90\n"
            "MARKER=/dev/null \"$2\" run --local --no-topology --quiet --plan \"$3\" --store \"$1/s.db\" || exit 91\n"
            "mount -o remount,ro \"$1\" || exit 92\n"
            "MARKER=\"$4\" exec \"$2\" run --local --no-topology --plan \"$3\" --store \"$1/s.db\" --json \"$5\"\n");
        const QString json = dir.filePath(QStringLiteral("run.json"));
        Measured run(inMountNamespace(script, { mnt, nestscope(), plan, marker, json }));
        QVERIFY(run.start());
        QVERIFY2(run.finish(60000), run.err().constData());
        const QByteArray &err = run.err();
        qInfo("store on a read-only file system: exit %d\n%s", run.exitCode(), err.constData());
        QVERIFY2(run.exitCode() < 90, err.constData());
        // Refused before anything runs, with the store and the cause named.
        QCOMPARE(run.exitCode(), 2);
        const QString store = mnt + QStringLiteral("/s.db");
        QVERIFY2(err.contains((QStringLiteral("nestscope run: cannot use --store ") + store + QStringLiteral(": ")
                     + store + QStringLiteral(": cannot open the run store: it is on a read-only file system"))
                                  .toUtf8()),
            err.constData());
        QVERIFY(!QFile::exists(marker));
        QVERIFY(!QFile::exists(json));
    }

    // --- 5. --json on a full disk ---

    void jsonDiskFullKeepsTheGoodFile()
    {
        QString why;
        if (!canMount(&why)) {
            QSKIP(qPrintable(why));
        }
        QTemporaryDir dir;
        const QString mnt = dir.filePath(QStringLiteral("mnt"));
        const QString kept = dir.filePath(QStringLiteral("kept"));
        QVERIFY(QDir().mkpath(mnt) && QDir().mkpath(kept));
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        writeFile(plan,
            "name: Fill\ndefaults: {repeat: 40}\nprobes:\n"
            "  - {id: fill, kind: shell, command: \"head -c 20000 /dev/urandom | base64\"}\n");
        const QString markdown = dir.filePath(QStringLiteral("run.md"));
        // A good run.json first (a small run), then a run too big for the disk over it.
        const QString script = QStringLiteral(
            "mount -t tmpfs -o size=256k tmpfs \"$1\" || exit 90\n"
            "\"$2\" run --local --no-topology --quiet --plan \"$3\" --repeat 1 --json \"$1/run.json\" || exit 91\n"
            "cp \"$1/run.json\" \"$4/before.json\"\n"
            "\"$2\" run --local --no-topology --quiet --plan \"$3\" --json \"$1/run.json\" --markdown \"$5\"\n"
            "rc=$?\nls -A \"$1\" > \"$4/listing\"\ncp \"$1/run.json\" \"$4/after.json\"\nexit $rc\n");
        Measured run(inMountNamespace(script, { mnt, nestscope(), plan, kept, markdown }));
        QVERIFY(run.start());
        QVERIFY2(run.finish(120000), run.err().constData());
        const QByteArray &err = run.err();
        qInfo("--json on a full disk: exit %d\n%s", run.exitCode(), err.constData());
        QVERIFY2(run.exitCode() < 90, err.constData());
        QCOMPARE(run.exitCode(), 2);
        QVERIFY2(err.contains(
                     (QStringLiteral("nestscope run: cannot write ") + mnt + QStringLiteral("/run.json: ")).toUtf8())
                && err.contains("No space left on device"),
            err.constData());
        // The good file is still there as it was, nothing else is left, and the Markdown is written.
        QFile before(kept + QStringLiteral("/before.json"));
        QFile after(kept + QStringLiteral("/after.json"));
        QVERIFY(before.open(QIODevice::ReadOnly) && after.open(QIODevice::ReadOnly));
        const QByteArray good = before.readAll();
        QCOMPARE(after.readAll(), good);
        QCOMPARE(jsonCounts(QJsonDocument::fromJson(good).object()),
            (QHash<QString, int> { { QStringLiteral("pass"), 1 } }));
        QFile listing(kept + QStringLiteral("/listing"));
        QVERIFY(listing.open(QIODevice::ReadOnly));
        QCOMPARE(listing.readAll(), QByteArray("run.json\n"));
        QFile md(markdown);
        QVERIFY(md.open(QIODevice::ReadOnly));
        QVERIFY(md.readAll().contains("(40 samples)"));
    }
};

int main(int argc, char **argv)
{
    if (argc >= 4 && std::strcmp(argv[1], "--peak-rss") == 0) {
        return runMeasured(argv);
    }
    QCoreApplication app(argc, argv);
    TestFaults test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_faults.moc"
