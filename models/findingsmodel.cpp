#include "findingsmodel.h"

#include <QColor>

namespace nestscope {

FindingsModel::FindingsModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

void FindingsModel::setDiagnosis(const Diagnosis &diagnosis)
{
    QStringList before;
    QStringList after;
    for (const Finding &f : m_diagnosis.findings) {
        before << f.id;
    }
    for (const Finding &f : diagnosis.findings) {
        after << f.id;
    }
    if (before == after) {
        // Same findings in the same order: refresh their content in place (evidence grows while a
        // run fills in), keeping the selection and the scroll position.
        m_diagnosis = diagnosis;
        if (!m_diagnosis.findings.isEmpty()) {
            Q_EMIT dataChanged(index(0), index(rowCount() - 1));
        }
        return;
    }
    beginResetModel();
    m_diagnosis = diagnosis;
    endResetModel();
}

void FindingsModel::clear()
{
    setDiagnosis({});
}

int FindingsModel::rowOf(const QString &id) const
{
    for (int i = 0; i < m_diagnosis.findings.size(); ++i) {
        if (m_diagnosis.findings.at(i).id == id) {
            return i;
        }
    }
    return -1;
}

int FindingsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_diagnosis.findings.size());
}

QString FindingsModel::confidenceLabel(Confidence confidence)
{
    return toText(confidence); // "high", "medium", "low": the words of the JSON and the reports
}

QVariant FindingsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Finding &f = m_diagnosis.findings.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return f.title;
    case Qt::ToolTipRole:
        return QStringLiteral("<p>%1</p><p><i>%2 confidence: %3</i></p>")
            .arg(f.cause.toHtmlEscaped(), confidenceLabel(f.confidence), f.confidenceReason.toHtmlEscaped());
    case Qt::DecorationRole:
        // the same traffic-light scale as the matrix: a sure cause is red, a guess amber
        switch (f.confidence) {
        case Confidence::High:
            return QColor(0xd6, 0x45, 0x45);
        case Confidence::Medium:
            return QColor(0xe8, 0x9a, 0x2c);
        case Confidence::Low:
            return QColor(0xb8, 0xb8, 0xb8);
        }
        return {};
    case FindingRole:
        return QVariant::fromValue(f);
    case IdRole:
        return f.id;
    case ConfidenceRole:
        return static_cast<int>(f.confidence);
    case RankRole:
        return index.row() + 1;
    default:
        return {};
    }
}

} // namespace nestscope
