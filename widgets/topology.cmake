# The topology page: the graph scene and the view with its inspector (what the inspector shows is
# core/topology/topologyinspect, which the CLI uses too).
target_sources(nestscope_widgets PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/topologyscene.cpp ${CMAKE_CURRENT_LIST_DIR}/topologyscene.h
    ${CMAKE_CURRENT_LIST_DIR}/topologyview.cpp ${CMAKE_CURRENT_LIST_DIR}/topologyview.h
)
