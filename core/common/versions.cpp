#include "versions.h"

#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTimer>

#include <graphviz_version.h>
#include <libssh/libssh.h>

namespace nestscope {

ComponentVersions componentVersions()
{
    ComponentVersions v;
    v.nestscope = QStringLiteral(NESTSCOPE_VERSION);
    v.qtRuntime = QString::fromLatin1(qVersion());
    v.qtBuild = QStringLiteral(QT_VERSION_STR);
    v.libssh = QString::fromLatin1(ssh_version(0));
    v.graphviz = QStringLiteral(PACKAGE_VERSION);
    return v;
}

LxdClientVersions::LxdClientVersions(QObject *parent)
    : QObject(parent)
{
}

LxdClientVersions::~LxdClientVersions()
{
    for (Client *c : { &m_lxc, &m_incus }) {
        if (c->process) {
            c->process->disconnect(this);
            c->process->kill();
            // What ~QProcess would do anyway, without its warning: a killed process ends at once.
            c->process->waitForFinished(1000);
        }
    }
}

void LxdClientVersions::start()
{
    if (m_started) {
        return;
    }
    m_started = true;
    ask(m_lxc, QStringLiteral("lxc"));
    ask(m_incus, QStringLiteral("incus"));
    if (m_pending == 0) {
        // Asynchronous like the rest, so a caller can connect after start().
        QMetaObject::invokeMethod(this, &LxdClientVersions::finished, Qt::QueuedConnection);
    }
}

void LxdClientVersions::ask(Client &client, const QString &name)
{
    QString program = QStandardPaths::findExecutable(name);
    if (program.isEmpty()) {
        program = QStandardPaths::findExecutable(name, { QStringLiteral("/snap/bin") });
    }
    if (program.isEmpty()) {
        client.problem = QStringLiteral("not found");
        client.done = true;
        return;
    }
    ++m_pending;
    client.process = new QProcess(this);
    client.process->setProgram(program);
    client.process->setArguments({ QStringLiteral("--version") });
    client.process->setStandardInputFile(QProcess::nullDevice());
    Client *c = &client;
    auto done = [this, c](const QString &problem) {
        if (c->done) {
            return;
        }
        c->done = true;
        if (problem.isEmpty()) {
            const QString out = QString::fromUtf8(c->process->readAllStandardOutput()).trimmed();
            c->version = out.section(QLatin1Char('\n'), 0, 0).trimmed();
            if (c->version.isEmpty()) {
                c->problem = QStringLiteral("said no version");
            }
        } else {
            c->problem = problem;
        }
        c->process->deleteLater();
        c->process = nullptr;
        if (--m_pending == 0) {
            Q_EMIT finished();
        }
    };
    connect(client.process, &QProcess::finished, this, [c, done](int exitCode, QProcess::ExitStatus status) {
        if (c->done) {
            return; // timed out and killed: already said
        }
        done(status == QProcess::NormalExit && exitCode == 0
                ? QString()
                : QStringLiteral("`%1 --version` failed").arg(QFileInfo(c->process->program()).fileName()));
    });
    connect(client.process, &QProcess::errorOccurred, this, [done](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart) {
            done(QStringLiteral("could not be started"));
        }
    });
    // A snap's first start can take seconds; one that hangs is not waited for.
    QTimer::singleShot(15000, client.process, [c, done] {
        if (c->done) {
            return;
        }
        c->process->kill();
        done(QStringLiteral("did not answer"));
    });
    client.process->start();
}

QString LxdClientVersions::text(const Client &client) const
{
    if (!client.version.isEmpty()) {
        return client.version;
    }
    if (!client.problem.isEmpty()) {
        return client.problem;
    }
    return m_started ? QStringLiteral("looking…") : QString();
}

} // namespace nestscope
