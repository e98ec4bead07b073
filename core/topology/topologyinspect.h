#pragma once

#include "common/codelanguage.h"
#include "topology/graph.h"
#include "topology/topology.h"

#include <QList>
#include <QMap>
#include <QPair>
#include <QString>
#include <QStringList>

namespace nestscope {

/// What the inspector shows for one graph node: facts as name/value rows, the problems on it,
/// and the raw configuration it came from (LXD's JSON, `ip` output, firewall rules).
struct NodeInspection {
    QString title;
    QString kind; ///< "Instance (container)", "Bridge", ...
    QList<QPair<QString, QString>> facts;
    QList<TopoProblem> problems;
    QString raw;
    CodeLanguage rawLanguage = CodeLanguage::Json;
};

/// Looks up a graph node ("runner", "if:eth0", "net:lxdbr0", "inst:vm1", "nic:vm1/eth0", "uplink")
/// in the topology it was built from. An unknown id gives an inspection with just the title.
NodeInspection inspectNode(const Topology &topology, const TopologyGraph &graph, const QString &id);

/// Words search finds each node by beyond its label: every address (with and without prefix),
/// MACs, host-side veth names, the network a NIC is attached to.
QMap<QString, QStringList> topologySearchTerms(const Topology &topology);

/// A few lines for a terminal: the runner, its bridges with subnets and NAT, the instances with
/// their addresses, the problems and what discovery could not find out.
QString topologySummary(const Topology &topology, const QList<TopoProblem> &problems);

} // namespace nestscope
