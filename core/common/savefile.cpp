#include "savefile.h"

#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace nestscope {

namespace {

/// Whether `path` names something to write into rather than a file to replace.
bool writeInPlace(const QString &path)
{
    const QFileInfo info(path);
    if (!info.exists()) {
        return false; // a new file
    }
    // /dev/stdout and /dev/fd/N are links into /proc that resolve to a regular file when the
    // stream was redirected to one: replacing that would leave the shell's descriptor on the
    // old, deleted file.
    const QString absolute = info.absoluteFilePath();
    return !info.isFile() || absolute.startsWith(QLatin1String("/dev/"))
        || absolute.startsWith(QLatin1String("/proc/"));
}

} // namespace

QString writeWholeFile(const QString &path, const QByteArray &data)
{
    if (writeInPlace(path)) {
        QFile out(path);
        if (!out.open(QIODevice::WriteOnly) || out.write(data) != data.size() || !out.flush()) {
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
