#pragma once

#include "topology/graph.h"

#include <QMap>
#include <QString>

namespace nestscope {

struct Plan;
struct Run;

/// Per target ("runner" or an instance name) and address family (IPv4/IPv6 only): whether the
/// last run's HTTP and TCP probes of that family passed there. A family that is absent is unknown.
using EdgeResults = QMap<QString, QMap<TopoEdge::Family, bool>>;

/// Reads a run's HTTP/TCP samples per target and family: a family passes on a target when every
/// sample that ran passed, and fails when one failed, timed out or could not run. The probes'
/// kinds and families come from `plan`; without one, from the run's own plan text, and failing
/// that from ids ending in "-ipv4"/"-ipv6". In core because the graph, the CLI and the reports
/// colour the same edges from it.
EdgeResults edgeResultsFromRun(const Run &run, const Plan *plan = nullptr);

} // namespace nestscope
