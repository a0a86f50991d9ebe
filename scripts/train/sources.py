"""Where every training image comes from: Debian packages only, with author and licence.
prepare_data.py fetches and prepares them; `prepare_data.py --markdown` prints the
DATA_SOURCES.md section from this table, so the two never disagree.

    from sources import CONTENT, STYLES, PACKAGES
"""

# Debian package -> licence statement of its debian/copyright (checked by hand, bookworm).
PACKAGES = {
    "mate-backgrounds": "GPL-2+ (debian/copyright, per file)",
    "plasma-workspace-wallpapers": "GPL-2+ (debian/copyright); each wallpaper's metadata.json says LGPL-3",
    "lomiri-wallpapers-16.04": "per file in debian/copyright (CC-BY-4.0, CC-BY-SA-4.0, CC0-1.0)",
    "gnome-backgrounds": "GPL-2+ in debian/copyright (whose image list is older than these files); the package's AUTHORS file: grid* by Jakub Steiner, CC-BY-SA-3.0",
    "python3-skimage": "BSD-3-Clause package; sample images as stated in skimage/data/_fetchers.py",
    "opencv-doc": "Apache-2.0 AND BSD-3-Clause (debian/copyright, Files: *)",
    "visp-images-data": "GPL-2 (debian/copyright, Files: *, 2005-2018 Inria)",
    "tuxpaint-data": "GPL-2+ (debian/copyright, Files: *, 2002-2021 Bill Kendrick)",
    "wesnoth-1.16-data": "GPL-2+ (debian/copyright, the whole package)",
    "gcompris-qt-data": "per file in debian/copyright: paintings/resource/image/* WebMuseum, GPL-3+; "
                        "details/resource/image/* 2000, 2008 Bruno Coudoin and others, GPL-3",
}

_MATE = "usr/share/backgrounds/mate/nature/"
_UBP = "usr/share/backgrounds/"
_KDE = "usr/share/wallpapers/{}/contents/images/{}"
_SK = "usr/lib/python3/dist-packages/skimage/data/"
_GC = "usr/share/gcompris-qt/rcc/"
_GC_PAINTINGS = "gcompris/src/activities/paintings/resource/"


def _kde(name, size="2560x1600.jpg"):
    return _KDE.format(name, size)


# name, package, path inside the package, author, licence.
# split: "train" or "eval" (held out of training, used by eval.py's contact sheet).
CONTENT = [
    # mate-backgrounds nature photos (authors from debian/copyright)
    ("aqua", "mate-backgrounds", _MATE + "Aqua.jpg", "Charles Barbin", "GPL-2+", "train"),
    ("blinds", "mate-backgrounds", _MATE + "Blinds.jpg", "Lennart Poettering, Andrea Cimitan", "GPL-2+", "train"),
    ("dune", "mate-backgrounds", _MATE + "Dune.jpg", "Marco Cogoni, Hylke Bons", "GPL-2+", "train"),
    ("freshflower", "mate-backgrounds", _MATE + "FreshFlower.jpg", "Jens Ansorg", "GPL-2+", "train"),
    ("garden", "mate-backgrounds", _MATE + "Garden.jpg", "Charles Barbin", "GPL-2+", "eval"),
    ("greenmeadow", "mate-backgrounds", _MATE + "GreenMeadow.jpg", "Timothy Schellhase, Lapo Calamandrei", "GPL-2+", "train"),
    ("ladybird", "mate-backgrounds", _MATE + "LadyBird.jpg", "Charles Barbin", "GPL-2+", "train"),
    ("raindrops", "mate-backgrounds", _MATE + "RainDrops.jpg", "blackcombwhistler07", "GPL-2+", "train"),
    ("storm", "mate-backgrounds", _MATE + "Storm.jpg", "Sergey Nazarov", "GPL-2+", "train"),
    ("twowings", "mate-backgrounds", _MATE + "TwoWings.jpg", "Charles Barbin, Hylke Bons", "GPL-2+", "train"),
    ("wood", "mate-backgrounds", _MATE + "Wood.jpg", "Jean-François Fortin Tam", "GPL-2+", "train"),
    ("yellowflower", "mate-backgrounds", _MATE + "YellowFlower.jpg", "Charles Barbin", "GPL-2+", "train"),
    # Ubuntu/UBports wallpaper contest photos (lomiri-wallpapers-16.04, per-file licences)
    ("bridge", "lomiri-wallpapers-16.04", _UBP + "Bridge_by_Sander_Klootwijk.jpg", "Sander Klootwijk", "CC-BY-SA-4.0", "train"),
    ("dragonfly", "lomiri-wallpapers-16.04", _UBP + "Dragonfly_by_Bolly.jpg", "Bolly", "CC-BY-SA-4.0", "train"),
    ("fig", "lomiri-wallpapers-16.04", _UBP + "Picture_0B_by_freespace.jpg", "Trevor \"Freespace\"", "CC-BY-4.0", "train"),
    ("wine", "lomiri-wallpapers-16.04", _UBP + "Wine_by_Jakkub_Mede.jpg", "Jakub Mede", "CC-BY-4.0", "train"),
    ("aitzgorri", "lomiri-wallpapers-16.04", _UBP + "aitzgorri_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0", "train"),
    ("free", "lomiri-wallpapers-16.04", _UBP + "free_by_Peter_Nerlich.jpg", "Peter Nerlich", "CC-BY-SA-4.0", "train"),
    ("friends", "lomiri-wallpapers-16.04", _UBP + "friends_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0", "eval"),
    ("greentock", "lomiri-wallpapers-16.04", _UBP + "greentock_by_Peter_Nerlich.jpg", "Peter Nerlich", "CC-BY-SA-4.0", "train"),
    ("life", "lomiri-wallpapers-16.04", _UBP + "life_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0", "train"),
    ("picosdeeuropa", "lomiri-wallpapers-16.04", _UBP + "picosdeeuropa_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0", "train"),
    ("seeding", "lomiri-wallpapers-16.04", _UBP + "seeding_by_Clements_Engelhardt.jpg", "Clemens Engelhardt", "CC0-1.0", "train"),
    ("sunset", "lomiri-wallpapers-16.04", _UBP + "sunset_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0", "train"),
    # KDE Plasma wallpapers that are photographs (author from metadata.json)
    ("bythewater", "plasma-workspace-wallpapers", _kde("BytheWater"), "Maciej Wiklo", "LGPL-3 / GPL-2+", "train"),
    ("coldripple", "plasma-workspace-wallpapers", _kde("ColdRipple"), "Risto Saukonpää", "LGPL-3 / GPL-2+", "train"),
    ("colorfulcups", "plasma-workspace-wallpapers", _kde("ColorfulCups"), "Dmitri Popov", "LGPL-3 / GPL-2+", "train"),
    ("darkesthour", "plasma-workspace-wallpapers", _kde("DarkestHour"), "Risto Saukonpää", "LGPL-3 / GPL-2+", "train"),
    ("eveningglow", "plasma-workspace-wallpapers", _kde("EveningGlow"), "Ian Hex", "LGPL-3 / GPL-2+", "eval"),
    ("fallenleaf", "plasma-workspace-wallpapers", _kde("FallenLeaf"), "Martin Klapetek", "LGPL-3 / GPL-2+", "train"),
    ("grey", "plasma-workspace-wallpapers", _kde("Grey"), "Sigi Sagi", "LGPL-3 / GPL-2+", "train"),
    ("kite", "plasma-workspace-wallpapers", _kde("Kite"), "Risto Saukonpää", "LGPL-3 / GPL-2+", "train"),
    ("path", "plasma-workspace-wallpapers", _kde("Path"), "Risto Saukonpää", "LGPL-3 / GPL-2+", "train"),
    ("summer1am", "plasma-workspace-wallpapers", _kde("summer_1am"), "Risto Saukonpää", "LGPL-3 / GPL-2+", "train"),
    # scikit-image sample photographs
    ("astronaut", "python3-skimage", _SK + "astronaut.png", "NASA (Eileen Collins portrait)", "public domain", "eval"),
    ("chelsea", "python3-skimage", _SK + "chelsea.png", "Stefan van der Walt", "CC0", "eval"),
    ("coffee", "python3-skimage", _SK + "coffee.png", "Rachel Michetti", "CC0", "train"),
    ("rocket", "python3-skimage", _SK + "rocket.jpg", "SpaceX", "public domain", "train"),
]

# Style images. crop: (left, top, right, bottom) as fractions of the image, to keep the
# textured part. Painterly, textured images work with the MobileNetV2 Gram loss; flat
# geometric art transfers only as a colour shift (TOOLCHAIN.md probe).
STYLES = {
    "elephants": dict(package="mate-backgrounds", path="usr/share/backgrounds/mate/abstract/Elephants.jpg",
                      author="Wyng Stancikaite", licence="GPL-2+", crop=None,
                      about="acrylic-like painting of elephants in blues and greens"),
    "autumn": dict(package="plasma-workspace-wallpapers", path=_kde("Autumn"),
                   author="RJ Quiralta", licence="LGPL-3 / GPL-2+", crop=(0.45, 0.0, 1.0, 0.75),
                   about="digital painting, the blotchy orange tree (right part of the wallpaper)"),
    "sequins": dict(package="gnome-backgrounds", path="usr/share/backgrounds/gnome/grid-l.webp",
                    author="Jakub Steiner", licence="CC-BY-SA-3.0 (AUTHORS)", crop=(0.0, 0.25, 0.5, 0.75),
                    about="golden glittering dot grid"),
    "brushes": dict(package="lomiri-wallpapers-16.04", path=_UBP + "Picture_1A_by_freespace.jpg",
                    author="Trevor \"Freespace\"", licence="CC-BY-4.0", crop=None,
                    about="photo of colourful paint-brush bristles"),
    "moss": dict(package="plasma-workspace-wallpapers", path=_kde("OneStandsOut"),
                 author="Risto Saukonpää", licence="LGPL-3 / GPL-2+", crop=None,
                 about="photo of star-shaped moss from above"),
    "analog": dict(package="lomiri-wallpapers-16.04", path=_UBP + "analogpattern_by_Peter_Nerlich.jpg",
                   author="Peter Nerlich", licence="CC-BY-SA-4.0", crop=None,
                   about="speckled grain texture in green and violet"),
    # Candidates for the styles that repaint (issue 12), found by a search of Debian's game,
    # documentation and example packages (docs/training.md, "Style images").
    "starry": dict(package="opencv-doc", path="usr/share/doc/opencv-doc/examples/data/starry_night.jpg",
                   author="Vincent van Gogh, 1889 (public domain artwork)",
                   licence="public domain artwork; file: Apache-2.0 AND BSD-3-Clause",
                   crop=(0.012, 0.015, 0.987, 0.983),
                   about="The Starry Night: swirling impasto brush strokes (bold painterly strokes)"),
    "klimt": dict(package="visp-images-data", path="usr/share/visp-images-data/ViSP-images/Klimt/Klimt.png",
                  author="Gustav Klimt, 1908 (public domain artwork)", licence="public domain artwork; file: GPL-2",
                  crop=None, about="The Kiss: gold mosaic-like ornament and a dotted flower meadow"),
    "carcassonne": dict(package="tuxpaint-data", path="usr/share/tuxpaint/starters/carcassone.png",
                        author="Tux Paint project", licence="GPL-2+", crop=None,
                        about="black ink line drawing of a walled town with stippled stonework"),
    "grimaltar": dict(package="wesnoth-1.16-data",
                      path="usr/share/games/wesnoth/1.16/data/core/images/story/grim-altar.jpg",
                      author="Battle for Wesnoth artists", licence="GPL-2+", crop=None,
                      about="hand-painted jungle scene from a game: blocky greens, textured brushwork"),
    # GCompris keeps its artwork in Qt resource files (qt_resources.py reads them); `path` is
    # "<.rcc file>:<member>", a board file for the puzzle paintings (assembled from pieces).
    "wave": dict(package="gcompris-qt-data",
                 path=_GC + "paintings.rcc:" + _GC_PAINTINGS + "board/board7_0.qml",
                 author="Katsushika Hokusai, 1831 (public domain artwork)",
                 licence="public domain artwork; file: GPL-3+ (WebMuseum)", crop=None,
                 about="The Great Wave off Kanagawa: woodblock print, flat blues, claw-like foam"),
    "kandinsky": dict(package="gcompris-qt-data",
                      path=_GC + "paintings.rcc:" + _GC_PAINTINGS + "board/board19_0.qml",
                      author="Wassily Kandinsky, 1923 (public domain artwork)",
                      licence="public domain artwork; file: GPL-3+ (WebMuseum)", crop=None,
                      about="Composition VIII: flat colour shapes, circles and lines (flat poster look)"),
    "cafe": dict(package="gcompris-qt-data",
                 path=_GC + "details.rcc:gcompris/src/activities/details/resource/image/Gogh4_background.webp",
                 author="Vincent van Gogh, 1888 (public domain artwork)",
                 licence="public domain artwork; file: GPL-3", crop=None,
                 about="Café Terrace at Night: dabbed cobbles and star dots (the most dotted texture found)"),
}
