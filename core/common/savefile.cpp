#include "savefile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>

#include <sys/stat.h>
#include <unistd.h>

namespace nestscope {

namespace {

/// The descriptor this process already has that `path` names (/dev/stdout, /dev/stderr,
/// /dev/fd/N, /proc/self/fd/N, or a link to one of them), or -1. Opening such a path again
/// would start a new file position at 0 and truncate: `--json /dev/stdout >>log` would wipe the
/// log, and two outputs to /dev/stdout would overwrite each other.
int inheritedDescriptor(const QString &path)
{
    static const QRegularExpression fdPath(QStringLiteral("^/(?:dev/fd|proc/self/fd|proc/(\\d+)/fd)/(\\d+)$"));
    QString step = QDir::cleanPath(QFileInfo(path).absoluteFilePath());
    for (int hops = 0; hops < 16; ++hops) {
        if (step == QLatin1String("/dev/stdout")) {
            return STDOUT_FILENO;
        }
        if (step == QLatin1String("/dev/stderr")) {
            return STDERR_FILENO;
        }
        const QRegularExpressionMatch m = fdPath.match(step);
        if (m.hasMatch() && (m.captured(1).isEmpty() || m.captured(1).toLongLong() == ::getpid())) {
            return m.captured(2).toInt();
        }
        const QFileInfo info(step);
        if (!info.isSymLink()) {
            return -1;
        }
        step = QDir::cleanPath(info.symLinkTarget());
    }
    return -1;
}

} // namespace

QString writeWholeFile(const QString &path, const QByteArray &data)
{
    if (const int fd = inheritedDescriptor(path); fd >= 0) {
        QFile out;
        if (!out.open(fd, QIODevice::WriteOnly, QFileDevice::DontCloseHandle) || out.write(data) != data.size()
            || !out.flush()) {
            return out.errorString();
        }
        return {};
    }
    // What is there decides, not the name: a FIFO, a shell's >(...) or /dev/null is written
    // into; a regular file (wherever it is, also through links) is replaced as a whole.
    struct stat st { };
    if (::stat(QFile::encodeName(path).constData(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        QFile out(path);
        if (!out.open(QIODevice::WriteOnly | QIODevice::Append) || out.write(data) != data.size() || !out.flush()) {
            return out.errorString();
        }
        return {};
    }
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(data) != data.size() || !out.commit()) {
        return out.errorString();
    }
    return {};
}

} // namespace nestscope
