#pragma once

#include <QByteArray>
#include <QString>

namespace nestscope {

/// What a file handed to Nestscope (File > Open…, a drop on the window) is.
enum class FileKind {
    Plan, ///< a plan: YAML (or JSON) with the plan's keys
    Run, ///< a run as Save Results and `nestscope run --json` write it ("format": "nestscope-run")
    Topology, ///< a topology as `nestscope topology --json` writes it ("format": "nestscope-topology")
    Unknown, ///< none of these
};

struct FileSniff {
    FileKind kind = FileKind::Unknown;
    /// What it is, for a person: "a plan", "a run", "a topology", or for Unknown what it looks like
    /// instead ("an empty file", "a binary file", "JSON, but not a Nestscope run, topology or plan", …).
    QString what;
};

/// How many bytes of a file sniffFile() wants: enough for any header it reads.
constexpr qsizetype kSniffBytes = 64 * 1024;

/// Tells what a file is from its content, never from its name alone: a run saved under a .yaml
/// name is a run. `head` is the file's first kSniffBytes bytes (or all of it). A file that looks
/// like one of the three but is damaged (a run cut short, a plan with an error) is still named
/// as what it tries to be, so that its own reader says what is wrong with it, with line and column.
FileSniff sniffFile(const QByteArray &head);

/// What Nestscope opens, for an error message: "plans (YAML), runs (JSON, from File > Save
/// Results or `nestscope run --json`) and topologies (JSON, from `nestscope topology --json`)".
QString openableKinds();

} // namespace nestscope
