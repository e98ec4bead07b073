# Run list and comparison models over the run store and run comparison (core/results).
target_sources(nestscope_models PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/runlistmodel.cpp ${CMAKE_CURRENT_LIST_DIR}/runlistmodel.h
    ${CMAKE_CURRENT_LIST_DIR}/comparisonmodel.cpp ${CMAKE_CURRENT_LIST_DIR}/comparisonmodel.h
)
target_sources(nestscope_models PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/matrixfiltermodel.cpp ${CMAKE_CURRENT_LIST_DIR}/matrixfiltermodel.h
)
# The diagnosis's findings, for the Findings panel.
target_sources(nestscope_models PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/findingsmodel.cpp ${CMAKE_CURRENT_LIST_DIR}/findingsmodel.h
)
