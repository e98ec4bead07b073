#pragma once

#include <QByteArray>
#include <QString>

#include <memory>

class QFileDevice;

namespace nestscope {

/// Writes `data` to `path` as a whole, the way every export and `--json FILE` should.
///
/// - A regular file (also through links), or one that does not exist yet, is replaced
///   atomically (QSaveFile): a reader never sees half of it, and a failed write leaves the old
///   file as it was.
/// - /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N (or a link to one) are written
///   through the descriptor this process already has, at its position: `--json /dev/stdout
///   >>log` appends to the log, and two outputs to /dev/stdout follow each other.
/// - Anything else that exists — /dev/null, a FIFO, a shell's `>(...)` — is written into and
///   never replaced: renaming a temporary file over /dev/null, as QSaveFile would, turns it into
///   a regular file for the whole machine when the writer is root.
///
/// Returns an empty string on success, otherwise why it failed (for the caller's message).
QString writeWholeFile(const QString &path, const QByteArray &data);

/// writeWholeFile() for output written piece by piece while something runs (a run's samples as
/// they complete), so that it never has to be held in memory as a whole. The same cases: a
/// regular file is still replaced only by commit(), at once; without a commit (an error, a
/// crash) the old file stays as it was. Descriptors, devices and pipes are written as it goes.
class WholeFileWriter {
public:
    explicit WholeFileWriter(const QString &path);
    ~WholeFileWriter();
    WholeFileWriter(const WholeFileWriter &) = delete;
    WholeFileWriter &operator=(const WholeFileWriter &) = delete;

    /// Why it cannot be opened, or an empty string.
    QString open();
    /// Appends `data`; false from the first write that fails on (commit() then says why).
    bool write(const QByteArray &data);
    /// Finishes the output: why it is not complete, or an empty string.
    QString commit();

private:
    QString m_path;
    std::unique_ptr<QFileDevice> m_file;
    bool m_replaces = false; ///< a QSaveFile, committed at the end
    QString m_error;
};

/// Why writeWholeFile(path, ...) could not work, found without writing anything (a command checks
/// every output before it runs), or an empty string when it should: the descriptor is open for
/// writing, the device or pipe may be written, or a file can be made in the folder and the file
/// there may be replaced. A full disk still shows only when writing.
QString cannotWrite(const QString &path);

} // namespace nestscope
