#pragma once

#include "common/result.h"
#include "topology/topology.h"
#include "transport/instancetransport.h"

#include <QByteArray>
#include <QFutureWatcher>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QString>

namespace nestscope {

class Transport;
class CommandJob;
struct CommandResult;

/// One part of the batched discovery output: what one command printed and how it ended.
struct DiscoverySection {
    QString name; ///< e.g. "ip-addr", "lxd-instances", "nft"
    int exitCode = 0; ///< 127 = command not found (then the warning says what to install)
    QByteArray output; ///< stdout
    QByteArray errors; ///< stderr (capped)
    bool truncated = false; ///< the output ended inside this section (transport cap, lost connection)
};
using DiscoverySections = QMap<QString, DiscoverySection>;

/// The single POSIX sh script that gathers everything in one round trip, each command's output
/// framed as a section. Works as an unprivileged user too (sections that need root say so).
/// `client` is the LXD/Incus client to ask (Auto: lxc when installed, else incus), as the
/// Settings' instance client chooses it for the run.
QString discoveryScript(InstanceTransport::Client client = InstanceTransport::Client::Auto);

/// Splits the script's stdout into sections. Garbage (no framing) is an Error that says so.
Result<DiscoverySections> splitDiscoveryOutput(const QByteArray &stdOut);

/// Builds a Topology from sections. Never fails as a whole: a missing or unparsable section
/// becomes a TopoWarning (what is missing, how to get it) and the rest is still filled in.
Topology topologyFromSections(const DiscoverySections &sections);

/// Runs discoveryScript() over any Transport and parses it. Emits finished() exactly once, on the
/// thread that owns it. The parse (topologyFromSections, hundreds of ms for thousands of instances)
/// runs on the global thread pool so the owner's thread (the GUI) stays responsive; cancel() or
/// deleting the discovery while it runs drops its result (the worker holds its input by value).
class TopologyDiscovery : public QObject {
    Q_OBJECT
public:
    explicit TopologyDiscovery(Transport *transport, QObject *parent = nullptr);
    ~TopologyDiscovery() override;
    /// The LXD/Incus client to ask (default Auto); takes effect at the next start().
    void setClient(InstanceTransport::Client client) { m_client = client; }
    void start();
    void cancel();
    bool isRunning() const;
Q_SIGNALS:
    /// A topology (possibly partial, with warnings), or an error when nothing could be run at all
    /// (connection lost, cancelled, the script's output was garbage).
    void finished(const nestscope::Result<nestscope::Topology> &result);

private:
    void onJobFinished(const CommandResult &result);
    void onParsed();
    void finish(const Result<Topology> &result);
    QPointer<Transport> m_transport; // null once it is going away (its jobs end with it)
    QPointer<CommandJob> m_job;
    QFutureWatcher<Topology> *m_parse = nullptr; ///< while the parse runs on the pool
    bool m_waiting = false; ///< started and finished() not emitted yet
    InstanceTransport::Client m_client = InstanceTransport::Client::Auto;
};

} // namespace nestscope
