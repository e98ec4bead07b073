#pragma once

#include "common/result.h"
#include "topology/problems.h"
#include "topology/topology.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>

namespace nestscope {

/// Topology as JSON, for `nestscope topology --json` and the topology snapshot kept with a run.
/// Every field is written, raw sources included, so reading it back gives the same Topology.
/// Shape: {"format": "nestscope-topology", "version": 1, "discoveredAt", "transport",
///         "runner": {hostname, kernel, interfaces, routes, sysctls, resolvConf, firewall},
///         "lxd": {client, serverVersion, firewallDriver, networks, leases, instances}, "warnings"}.
QJsonObject topologyToJson(const Topology &topology);

/// Reads what topologyToJson wrote. Missing fields keep their defaults (older writers); a field of
/// the wrong type, or another document, is an Error naming the JSON path.
Result<Topology> topologyFromJson(const QJsonObject &json);

/// The document as bytes (indented), and back; syntax errors carry line and column.
QByteArray writeTopologyJson(const Topology &topology);
Result<Topology> readTopologyJson(const QByteArray &json);

/// Problems as a JSON array of {id, severity ("warning"/"error"), nodeId, title, why}.
QJsonArray problemsToJson(const QList<TopoProblem> &problems);

} // namespace nestscope
