#include "savefile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>
#include <QTemporaryFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
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

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

} // namespace

QString cannotWrite(const QString &path)
{
    if (const int fd = inheritedDescriptor(path); fd >= 0) {
        const int flags = ::fcntl(fd, F_GETFL);
        if (flags < 0) {
            return QStringLiteral("descriptor %1 is not open").arg(fd);
        }
        if ((flags & O_ACCMODE) == O_RDONLY) {
            return QStringLiteral("descriptor %1 is open for reading only").arg(fd);
        }
        return {};
    }
    const QByteArray native = QFile::encodeName(path);
    struct stat st { };
    if (::stat(native.constData(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            return QStringLiteral("it is a folder");
        }
        if (S_ISFIFO(st.st_mode)) {
            // Opening a pipe for writing waits for its reader, which may not have opened it yet.
            return ::access(native.constData(), W_OK) == 0 ? QString() : errnoText(errno);
        }
        if (!S_ISREG(st.st_mode)) { // a device such as /dev/null: written into, as writeWholeFile() will
            const int fd = ::open(native.constData(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
            if (fd < 0) {
                return errnoText(errno);
            }
            ::close(fd);
            return {};
        }
        if (::access(native.constData(), W_OK) != 0) { // QSaveFile will not replace what it may not write
            return errnoText(errno);
        }
    } else if (errno != ENOENT) {
        return errnoText(errno);
    }
    // A regular file is replaced by a temporary file made next to it: that is what must be possible.
    const QFileInfo info(path);
    const QString dir = info.absolutePath();
    const QFileInfo dirInfo(dir);
    if (!dirInfo.exists()) {
        return QStringLiteral("the folder %1 does not exist").arg(dir);
    }
    if (!dirInfo.isDir()) {
        return QStringLiteral("%1 is not a folder").arg(dir);
    }
    QTemporaryFile probe(dir + QStringLiteral("/.nestscope-check-XXXXXX"));
    if (!probe.open()) {
        return QStringLiteral("cannot create a file in %1 (%2)").arg(dir, probe.errorString());
    }
    return {};
}

namespace {

/// Why the last operation on `file` failed: the system's reason when there is one (Qt's error
/// string of a failed buffered write can be "Unknown error").
QString lastError(const QFileDevice &file)
{
    const int error = errno;
    return error != 0 ? QString::fromLocal8Bit(std::strerror(error)) : file.errorString();
}

} // namespace

WholeFileWriter::WholeFileWriter(const QString &path)
    : m_path(path)
{
}

WholeFileWriter::~WholeFileWriter() = default; // an uncommitted QSaveFile removes its temporary file

QString WholeFileWriter::open()
{
    if (const int fd = inheritedDescriptor(m_path); fd >= 0) {
        auto out = std::make_unique<QFile>();
        if (!out->open(fd, QIODevice::WriteOnly, QFileDevice::DontCloseHandle)) {
            return out->errorString();
        }
        m_file = std::move(out);
        return {};
    }
    // What is there decides, not the name: a FIFO, a shell's >(...) or /dev/null is written
    // into; a regular file (wherever it is, also through links) is replaced as a whole.
    struct stat st { };
    if (::stat(QFile::encodeName(m_path).constData(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        auto out = std::make_unique<QFile>(m_path);
        if (!out->open(QIODevice::WriteOnly | QIODevice::Append)) {
            return out->errorString();
        }
        m_file = std::move(out);
        return {};
    }
    auto out = std::make_unique<QSaveFile>(m_path);
    if (!out->open(QIODevice::WriteOnly)) {
        return out->errorString();
    }
    m_file = std::move(out);
    m_replaces = true;
    return {};
}

bool WholeFileWriter::write(const QByteArray &data)
{
    if (!m_file || !m_error.isEmpty()) {
        return false;
    }
    errno = 0;
    if (m_file->write(data) != data.size()) {
        m_error = lastError(*m_file);
        return false;
    }
    return true;
}

QString WholeFileWriter::commit()
{
    if (!m_file) {
        return QStringLiteral("not open");
    }
    if (!m_error.isEmpty()) {
        return m_error; // a QSaveFile is then dropped, never committed
    }
    // Flushed first, so that a full disk is seen here with its errno (QSaveFile::commit() then
    // said only "Unknown error"); a file that could not be flushed is never committed.
    errno = 0;
    if (!m_file->flush()) {
        m_error = lastError(*m_file);
        return m_error;
    }
    if (m_replaces && !static_cast<QSaveFile *>(m_file.get())->commit()) {
        m_error = lastError(*m_file);
    }
    return m_error;
}

QString writeWholeFile(const QString &path, const QByteArray &data)
{
    WholeFileWriter out(path);
    if (const QString why = out.open(); !why.isEmpty()) {
        return why;
    }
    out.write(data);
    return out.commit();
}

} // namespace nestscope
