# Topology discovery: the value type's accessors, the one-round-trip script, the parsers of each
# structured source, problem rules and the JSON form. Core only: no Gui, no Widgets.
target_sources(nestscope_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/topology.cpp ${CMAKE_CURRENT_LIST_DIR}/topology.h
    ${CMAKE_CURRENT_LIST_DIR}/discovery.cpp ${CMAKE_CURRENT_LIST_DIR}/discovery.h
    ${CMAKE_CURRENT_LIST_DIR}/jsonview.cpp ${CMAKE_CURRENT_LIST_DIR}/jsonview.h
    ${CMAKE_CURRENT_LIST_DIR}/parsers.cpp ${CMAKE_CURRENT_LIST_DIR}/parsers.h
    ${CMAKE_CURRENT_LIST_DIR}/problems.cpp ${CMAKE_CURRENT_LIST_DIR}/problems.h
    ${CMAKE_CURRENT_LIST_DIR}/topologyjson.cpp ${CMAKE_CURRENT_LIST_DIR}/topologyjson.h
)
